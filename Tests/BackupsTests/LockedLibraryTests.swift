import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// A library whose `"SM_Project"` is locked (`LOCK TABLE … IN ACCESS EXCLUSIVE MODE`, as a Resolve
/// schema upgrade does): the pass fails that library within `BACKUP_LOCK_WAIT` and the agent
/// still stops at once on SIGTERM. The real binary, real pg_dump, a real server.
@Suite("backup-agent with a locked library", .timeLimit(.minutes(3)))
struct LockedLibraryTests {
    @Test("a pass fails the locked library within BACKUP_LOCK_WAIT, with the reason; the other library is backed up")
    func lockedLibraryFails() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            for name in ["Resolve A", "Resolve B"] {
                try await cluster.createDatabase(name)
                try await ResolveFixture.populate(cluster, database: name, projects: 1)
            }
            let (result, elapsed) = try await cluster.withTableLocked("SM_Project", database: "Resolve A") {
                let started = ContinuousClock.now
                let result = try await agent.run(["backup"], ["BACKUP_LOCK_WAIT": "3s"])
                return (result, ContinuousClock.now - started)
            }
            print("measured: backup-agent backup with \"SM_Project\" locked and BACKUP_LOCK_WAIT=3s exited \(result.status) after \(elapsed)")
            #expect(result.status == 1)
            #expect(result.stderr == "backup failed for Resolve A: Resolve's tables in Resolve A stayed locked by another session for more than 3 s (BACKUP_LOCK_WAIT), "
                + "as during a Resolve schema upgrade; nothing was written and the next pass tries again "
                + "(if the lock does not go away, find the session holding it in pgAdmin's dashboard or pg_locks)\n")
            #expect(elapsed >= .seconds(3) && elapsed < .seconds(15), "took \(elapsed)")
            #expect(agent.files(of: "Resolve A").isEmpty, "\(agent.files(of: "Resolve A"))")
            #expect(agent.backups(of: "Resolve B").count == 1)
            #expect(try await cluster.sessions(application: "laterbase-backup") == 0)
        }
    }

    @Test("SIGTERM to `backup-agent run` waiting on the locked library ends it within 5 s, exit 0, nothing left behind")
    func sigtermWhileLocked() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            try await cluster.withTableLocked("SM_Project", database: "Resolve") {
                // Auto-discovery, the default 10-minute lock wait: the project-list read blocks.
                let process = try agent.start(["run"], ["BACKUP_ON_START": "true"])
                defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                let waiting = try await poll(timeout: .seconds(30)) { try await cluster.sessionsWaitingForLock(application: "laterbase") == 1 }
                try #require(waiting, "the agent never started waiting for the lock")
                let elapsed = try #require(await process.signalAndTime(SIGTERM), "still running 30 s after SIGTERM")
                print("measured: backup-agent run blocked on a locked \"SM_Project\" exited \(elapsed) after SIGTERM")
                #expect(elapsed < .seconds(5), "took \(elapsed)")
                #expect(process.terminationStatus == 0)
                // The cancelled statement is gone from the server while the lock is still held.
                let gone = try await poll(timeout: .seconds(5)) { try await cluster.sessions(application: "laterbase") == 0 }
                #expect(gone, "the agent's session still waits on the server")
            }
            #expect(agent.files(of: "Resolve").isEmpty, "\(agent.files(of: "Resolve"))")
        }
    }
}
