import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// One-shot `backup-agent backup` stopped by a signal: the real binary with a real pg_dump held
/// mid-dump by a table lock.
@Suite("backup-agent backup interrupted", .timeLimit(.minutes(3)))
struct InterruptedBackupTests {
    @Test("SIGTERM or SIGINT: pg_dump stopped, partial file removed, exit 1 with one line, within 5 s",
          arguments: [SIGTERM, SIGINT])
    func interrupted(signal: Int32) async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            let errors = agent.backupDirectory + "-stderr"
            defer { unlink(errors) }
            try await cluster.withTableLocked("BtThumnail", database: "Resolve") {
                let process = try agent.start(["backup", "--db", "Resolve"], errors: errors)
                defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                let dumping = await poll(timeout: .seconds(30)) { agent.files(of: "Resolve").contains { $0.hasSuffix(".partial") } }
                try #require(dumping, "pg_dump never started")
                let elapsed = try #require(await process.signalAndTime(signal), "still running 30 s after the signal")
                print("measured: backup-agent backup exited \(process.terminationStatus) \(elapsed) after signal \(signal)")
                #expect(elapsed < .seconds(5), "took \(elapsed)")
                #expect(process.terminationReason == .exit && process.terminationStatus == 1)
                let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
                let stderr = try String(contentsOfFile: errors, encoding: .utf8)
                #expect(stderr == "stopped by \(name) during the backup pass; pg_dump was stopped and its unfinished file removed, backups finished before the signal are kept\n")
                #expect(agent.files(of: "Resolve").isEmpty, "\(agent.files(of: "Resolve"))")
            }
            // Once the lock is gone the server notices that pg_dump went away and ends its session.
            let dumpGone = try await poll(timeout: .seconds(15)) { try await cluster.sessions(application: "laterbase-backup") == 0 }
            #expect(dumpGone, "pg_dump should have been stopped")
            // The folder lock was released: the next backup runs.
            #expect(try await agent.run(["backup", "--db", "Resolve"]).status == 0)
        }
    }
}
