import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// `restore --at` when the Resolve server runs with higher hot-standby settings than the base
/// backup's configuration gives the scratch server (``HotStandbySettings``): PostgreSQL refuses
/// to replay, and the scratch server is restarted with the primary's values. Never an older
/// library, never a refusal for a whole base-backup period.
@Suite("undo window: settings higher on the primary", .serialized, .timeLimit(.minutes(5)))
struct RestoreAtSettingsTests {
    @Test("max_connections raised on the primary after the base backup: replay pauses before TIME, the scratch server restarts with 150 and reaches TIME")
    func raisedAfterBase() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            try await cluster.execute("ALTER SYSTEM SET max_connections = 150")
            await cluster.stop()
            try await cluster.restart()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let (timeline, noted) = try await Self.addNoteDelete(archive, agent, "After the restart", items: 2)
            let (result, restarts) = try await Self.restore(archive, at: noted, as: "Resolve raised")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(restarts.count == 1 && restarts.first?.contains("max_connections = 150") == true, "\(result.stdout)")
            print("measured: restore --at after max_connections was raised: \(restarts.first ?? "")")
            #expect(try await archive.clips(timeline, in: "Resolve raised") == 2)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }

    @Test("settings the primary runs with but its data directory's configuration lacks (a config file elsewhere): the first starts fail, one restart per setting, then TIME")
    func higherThanBaseConfiguration() async throws {
        try await ArchiveHarness.with { cluster, archive in
            // Running with 150 and 12, while postgresql.auto.conf (copied by the base backup) says
            // nothing of them: the defaults 100 and 8 are what the scratch server would start with.
            for statement in ["ALTER SYSTEM SET max_connections = 150", "ALTER SYSTEM SET max_worker_processes = 12"] { try await cluster.execute(statement) }
            await cluster.stop()
            try await cluster.restart()
            for statement in ["ALTER SYSTEM RESET max_connections", "ALTER SYSTEM RESET max_worker_processes"] { try await cluster.execute(statement) }
            #expect(try await cluster.query("SHOW max_connections").scalar == "150")
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let (timeline, noted) = try await Self.addNoteDelete(archive, agent, "Base config", items: 3)
            let (result, restarts) = try await Self.restore(archive, at: noted, as: "Resolve config")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(restarts.count == 2, "\(result.stdout)")
            #expect(restarts.contains { $0.contains("max_connections = 150") } && restarts.contains { $0.contains("max_worker_processes = 12") }, "\(restarts)")
            print("measured: restore --at with settings only on the running primary: \(restarts.count) restarts")
            #expect(try await archive.clips(timeline, in: "Resolve config") == 3)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }

    /// Adds a timeline, notes the time 1.2 s later, deletes the timeline 1.2 s after that, lets
    /// the receiver confirm it, and stops the agent. Returns the timeline and the noted time.
    static func addNoteDelete(_ archive: ArchiveHarness, _ agent: Process, _ name: String, items: Int) async throws -> (String, String) {
        let timeline = try await archive.addTimeline(name, items: items)
        try await Task.sleep(for: .milliseconds(1200))
        let noted = ArchiveHarness.text(Date())
        try await Task.sleep(for: .milliseconds(1200))
        try await archive.deleteTimeline(timeline)
        try await Task.sleep(for: .seconds(3))
        #expect(await archive.stop(agent) == 0)
        return (timeline, noted)
    }

    /// `restore --db Resolve --at TIME --as NEWDB` with debug logs, and its log lines that restart the scratch server.
    static func restore(_ archive: ArchiveHarness, at time: String, as newDatabase: String) async throws
        -> ((status: Int32, stdout: String, stderr: String), [Substring]) {
        let result = try await archive.run(["restore", "--db", "Resolve", "--at", time, "--as", newDatabase], ["LOG_LEVEL": "debug"])
        return (result, result.stdout.split(separator: "\n").filter { $0.contains("restarting it with the same") })
    }
}
