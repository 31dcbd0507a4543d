import Foundation
import LaterbaseTestSupport
import Testing
@testable import Shared

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
