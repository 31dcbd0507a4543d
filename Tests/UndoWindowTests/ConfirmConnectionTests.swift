import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
@testable import UndoWindow

/// The WAL receiver asks the primary every second how far it has flushed; it holds one
/// connection for that (not a login a second) and opens a new one when that one is lost.
@Suite("undo window: the receiver's one connection to the primary", .timeLimit(.minutes(3)))
struct ConfirmConnectionTests {
    func confirmSessions(_ cluster: PostgresCluster) async throws -> [String] {
        try await cluster.query("SELECT pid::text FROM pg_stat_activity WHERE application_name = $1 ORDER BY 1", [WalReceiver.confirmApplicationName])
            .rows.compactMap { $0[0] }
    }

    @Test("one session over several seconds; after it is ended, a new one and confirmations go on")
    func heldAndReopened() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let first = try await confirmSessions(cluster)
            #expect(first.count == 1, "\(first)")
            try await Task.sleep(for: .seconds(3))
            #expect(try await confirmSessions(cluster) == first)

            _ = try await cluster.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [WalReceiver.confirmApplicationName])
            let before = ReceiverStatus.load(archive.layout)?.streamedUntil ?? .distantPast
            let reopened = await poll(timeout: .seconds(10)) {
                guard let now = try? await confirmSessions(cluster), now.count == 1, now != first else { return false }
                return (ReceiverStatus.load(archive.layout)?.streamedUntil ?? .distantPast) > before.addingTimeInterval(1)
            }
            let sessions = try await confirmSessions(cluster)
            #expect(reopened, "a new confirm session and newer confirmations: \(sessions) \(archive.log)")
            #expect(await archive.stop(agent) == 0)
        }
    }

    @Test("a confirm session whose backend stops answering is replaced within 25 s (15 s bound); SIGTERM stops the agent within 5 s while a question hangs")
    func stoppedBackend() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let first = try #require(try await confirmSessions(cluster).first.flatMap(Int32.init))
            var stopped = [first]
            defer { stopped.forEach { _ = kill($0, SIGCONT) } }
            kill(first, SIGSTOP)
            let before = ReceiverStatus.load(archive.layout)?.streamedUntil ?? .distantPast
            let since = ContinuousClock.now
            let replaced = await poll(timeout: .seconds(40)) {
                guard let now = try? await confirmSessions(cluster), now.contains(where: { $0 != "\(first)" }) else { return false }
                return (ReceiverStatus.load(archive.layout)?.streamedUntil ?? .distantPast) > before.addingTimeInterval(1)
            }
            print("measured: confirmations went on over a new session \(ContinuousClock.now - since) after its backend was stopped")
            #expect(replaced, "\(archive.log)")
            #expect(ContinuousClock.now - since < .seconds(25))

            let second = try #require(try await confirmSessions(cluster).compactMap(Int32.init).first { $0 != first })
            stopped.append(second)
            kill(second, SIGSTOP)
            try await Task.sleep(for: .seconds(2))  // a question is in flight, unanswered
            let terminated = ContinuousClock.now
            #expect(await archive.stop(agent) == 0, "\(archive.log)")
            let elapsed = ContinuousClock.now - terminated
            print("measured: the agent stopped \(elapsed) after SIGTERM with its confirm question unanswered")
            #expect(elapsed < .seconds(5), "took \(elapsed)")
        }
    }

    @Test("a held connection that fails is replaced at once; an unreachable server gives nil")
    func replacedAtOnce() async throws {
        try await PostgresCluster.withCluster { cluster in
            var parameters = cluster.parameters()
            parameters.applicationName = "laterbase-held-test"
            let held = HeldConnection(parameters)
            defer { held.close() }
            #expect(await held.firstRow("SELECT 1")?.first == "1")
            #expect(await held.firstRow("SELECT 2")?.first == "2")
            #expect(held.connects == 1)
            _ = try await cluster.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'laterbase-held-test'")
            #expect(await held.firstRow("SELECT 3")?.first == "3")
            #expect(held.connects == 2)
            await cluster.stop()
            #expect(await held.firstRow("SELECT 4") == nil)
        }
    }
}
