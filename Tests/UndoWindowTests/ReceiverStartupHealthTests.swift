import Foundation
import LaterbaseTestSupport
import Testing
@testable import UndoWindow

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

    @Test("a .partial that pg_receivewal was still filling with zeros when it was stopped (13 dies at SIGTERM) is removed at the next start, and streaming goes on")
    func interruptedPadding() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            _ = try await cluster.query("SELECT pg_switch_wal()")
            try await Task.sleep(for: .seconds(2))
            #expect(await archive.stop(agent) == 0)
            // The state a stop during the zero-filling leaves: the segment after the newest, 8355840 bytes of zeros.
            let segmentSize: UInt64 = 16 * 1024 * 1024
            let newest = try #require(WalFile.scan(archive.layout, segmentSize: segmentSize).map(\.segment).max())
            let next = WalSegment(timeline: newest.timeline, number: newest.number + 1, segmentSize: segmentSize)
            let short = archive.layout.walDirectory + "/" + next.name + ".partial"
            for file in WalFile.scan(archive.layout, segmentSize: segmentSize) where file.isPartial { try FileManager.default.removeItem(atPath: file.path) }
            try Data(count: 8_355_840).write(to: URL(fileURLWithPath: short))

            let again = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            #expect(archive.log.contains("removed a WAL file that pg_receivewal had begun to fill with zeros"), "\(archive.log)")
            let health = try await archive.run(["healthcheck"])
            #expect(!health.stdout.contains("WAL receiver down"), "\(health.stdout)")
            _ = try await archive.addTimeline("After the repair", items: 2)
            try await Task.sleep(for: .seconds(3))
            #expect(await archive.stop(again) == 0)
            let partials = WalFile.scan(archive.layout, segmentSize: segmentSize).filter(\.isPartial)
            #expect(partials.allSatisfy { $0.bytes == Int64(segmentSize) }, "\(partials.map { "\($0.fileName) \($0.bytes)" })")
        }
    }
}
