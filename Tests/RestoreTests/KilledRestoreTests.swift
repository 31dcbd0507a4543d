import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// A restore or a restore test stopped outright or by a signal mid-feed (``StallingBackup``: the
/// restore waits inside psql's transaction): no library under the name asked for, ever; what a
/// killed restore leaves is marked and dropped by the next restore.
@Suite("restores killed mid-feed", .timeLimit(.minutes(4)))
struct KilledRestoreTests {
    static func count(_ pattern: String, _ cluster: PostgresCluster) async throws -> String? {
        try await cluster.query("SELECT count(*) FROM pg_database WHERE datname LIKE $1", [pattern]).scalar
    }

    @Test("SIGKILL of restore mid-feed: nothing under the name asked for; the next restore drops the marked leftover")
    func killed() async throws {
        try await AgentHarness.withStallingBackup(projects: 5, blobKilobytes: 256) { cluster, agent, stalling in
            let good = try #require(agent.backups(of: "Resolve").first { !stalling.hasSuffix($0) })

            let process = try agent.start(["restore", stalling, "--as", "Resolve Killed"])
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try #require(await StallingBackup.waitUntilStalled(cluster), "psql never reached the backup's last statement")
            // Every table is loaded by now, uncommitted.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(try await Self.count("Resolve Killed", cluster) == "0", "a partial library under the name asked for")
            #expect(try await Self.count(#"laterbase\_restoring\_%"#, cluster) == "1", "the working database, marked")
            let marker = try await cluster.query(#"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE 'laterbase\_restoring\_%'"#).scalar
            #expect(marker?.hasPrefix("laterbase: unfinished restore of \"Resolve Killed\" by ") == true, "\(marker ?? "")")
            let listed = try await agent.run(["list"])
            #expect(listed.stdout.contains("unfinished restores on "), "\(listed.stdout)")
            #expect(listed.stdout.contains("restore of \"Resolve Killed\", killed before it finished"), "\(listed.stdout)")

            let again = try await agent.run(["restore", "Resolve/" + good, "--as", "Resolve Again"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try await Self.count(#"laterbase\_restoring\_%"#, cluster) == "0", "the leftover of the killed restore")
            #expect(try await Self.count("Resolve Again", cluster) == "1")
            #expect(try await Self.count("Resolve Killed", cluster) == "0")
        }
    }

    @Test("SIGTERM of verify --restore-test mid-feed: exit 1 with one line, no scratch database left")
    func verifyInterrupted() async throws {
        try await AgentHarness.withStallingBackup(projects: 3, blobKilobytes: 64) { cluster, agent, stalling in
            let errors = agent.backupDirectory + "-verify-stderr"
            defer { unlink(errors) }

            let process = try agent.start(["verify", stalling, "--restore-test"], errors: errors)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try #require(await StallingBackup.waitUntilStalled(cluster), "psql never reached the backup's last statement")
            _ = try #require(await process.signalAndTime(SIGTERM), "still running 30 s after SIGTERM")
            let stderr = try String(contentsOfFile: errors, encoding: .utf8)
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
            // verify's log lines go to standard error too (its standard output is the answer); the error is the last line.
            let last = String(stderr.split(separator: "\n").last ?? "")
            #expect(last.hasPrefix("stopped by SIGTERM during verify; a restore test's scratch database was removed"), "\(stderr)")
            #expect(try await Self.count(#"laterbase\_restoring\_%"#, cluster) == "0")
            #expect(try await Self.count(#"laterbase\_verify\_%"#, cluster) == "0")
        }
    }
}
