import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// `backup-agent restore` stopped by a signal while psql holds the new database's transaction open:
/// the real binary, a real server, and a backup whose restore waits at its end (``StallingBackup``)
/// so the signal lands mid-restore on any machine.
@Suite("backup-agent restore interrupted", .timeLimit(.minutes(4)))
struct InterruptedRestoreTests {
    @Test("SIGTERM mid-restore: psql stopped, the new database dropped, exit 1 with one line; the original untouched")
    func interrupted() async throws {
        try await AgentHarness.withStallingBackup(projects: 5, blobKilobytes: 256) { cluster, agent, stalling in
            let file = String(stalling.split(separator: "/").last ?? "")
            let original = try await ResolveFixture.digests(cluster, database: "Resolve")
            let errors = agent.backupDirectory + "-stderr"
            defer { unlink(errors) }

            let process = try agent.start(["restore", stalling, "--as", "Resolve Interrupted"], errors: errors)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try #require(await StallingBackup.waitUntilStalled(cluster), "psql never reached the backup's last statement")
            let elapsed = try #require(await process.signalAndTime(SIGTERM), "still running 30 s after SIGTERM")
            print("measured: backup-agent restore exited \(process.terminationStatus) \(elapsed) after SIGTERM")
            let stderr = try String(contentsOfFile: errors, encoding: .utf8)
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
            #expect(stderr.hasPrefix("stopped by SIGTERM during the restore: restore of \(file) failed and \"Resolve Interrupted\" was removed again"),
                    "\(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
            #expect(elapsed < .seconds(15), "took \(elapsed)")
            let left = try await cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'Resolve Interrupted'").scalar
            #expect(left == "0", "the half-restored database was left behind")
            #expect(try await cluster.sessions(application: "laterbase-restore") == 0)
            #expect(try await ResolveFixture.digests(cluster, database: "Resolve") == original)
        }
    }
}
