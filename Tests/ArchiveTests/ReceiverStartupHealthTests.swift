import Foundation
import LaterbaseTestSupport
import Testing
@testable import Shared

/// healthcheck right after the agent (re)starts: the receiver is "starting", not "down".
@Suite("undo window: healthcheck while the receiver starts", .timeLimit(.minutes(3)))
struct ReceiverStartupHealthTests {
    @Test("after a restart of the agent, healthcheck says starting (never down) until the receiver streams")
    func startingNotDown() async throws {
        try await ArchiveHarness.with { _, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            #expect(await archive.stop(agent) == 0)
            #expect(ReceiverStatus.load(archive.layout)?.state == .stopped)
            let confirmed = ReceiverStatus.load(archive.layout)?.streamedUntil

            let again = try archive.startAgent()
            let written = await poll(timeout: .seconds(10), every: .milliseconds(10)) { ReceiverStatus.load(archive.layout)?.state != .stopped }
            #expect(written)
            let status = ReceiverStatus.load(archive.layout)
            // `starting` at once; on a loaded machine the first look may come after the receiver
            // already streams (it confirms within about a second): never `down`.
            #expect(status?.state == .starting || status?.state == .streaming, "the agent says at once that the receiver is starting: \(String(describing: status))")
            #expect(status?.streamedUntil.map { $0 >= confirmed ?? .distantFuture } == true, "the newest restorable time survives the restart: \(String(describing: status))")
            let health = try await archive.run(["healthcheck"])
            #expect(!health.stdout.contains("WAL receiver down"), "\(health.stdout)")
            #expect(health.stdout.contains("WAL receiver starting since") || health.stdout.contains("RPO"), "\(health.stdout)")
            #expect(await archive.stop(again) == 0)
        }
    }
}
