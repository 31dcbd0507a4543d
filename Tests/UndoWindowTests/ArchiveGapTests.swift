import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// The receiver down while the primary writes WAL: the slot's state in health, the gap after
/// the primary dropped the WAL, the new base backup it triggers.
@Suite("undo window: receiver down and gaps", .serialized, .timeLimit(.minutes(5)))
struct ArchiveGapTests {
    @Test("receiver down while WAL advances past max_slot_wal_keep_size: health names wal_status; after the restart the gap is reported and a new base backup taken")
    func gapAfterLostSlot() async throws {
        try await ArchiveHarness.with(settings: ["wal_keep_size = 0", "max_slot_wal_keep_size = 64MB"]) { cluster, archive in
            var agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            #expect(await archive.stop(agent) == 0)

            // Six segments of WAL and a checkpoint: the slot falls more than 64 MB behind and is invalidated.
            for _ in 0..<6 {
                _ = try await archive.addTimeline("Churn")
                try await cluster.query("SELECT pg_switch_wal()")
            }
            try await cluster.query("CHECKPOINT")
            let lost = try await poll(timeout: .seconds(30)) {
                try await cluster.query("CHECKPOINT")
                return try await cluster.query("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'laterbase_wal_slot'").scalar == "lost"
            }
            try #require(lost, "the slot should have been invalidated")

            let down = try await archive.run(["healthcheck"])
            #expect(down.status == 1)
            #expect(down.stdout.contains("WAL receiver down since"), "\(down.stdout)")
            #expect(down.stdout.contains("slot laterbase_wal_slot on the primary: wal_status lost"), "\(down.stdout)")

            agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(bases: 2), "\(archive.log)")
            let snapshot = UndoWindowSnapshot(layout: archive.layout)
            #expect(!snapshot.window.missing.isEmpty, "the hole should be reported")
            #expect(!snapshot.window.newestNeedsBaseBackup)
            #expect(archive.log.contains("the WAL archive has a gap"))

            let health = try await archive.run(["healthcheck"])
            #expect(health.stdout.contains("WAL segment(s) missing"), "\(health.stdout)")
            let list = try await archive.run(["list"])
            #expect(list.stdout.contains("Undo window (WAL archive): "), "\(list.stdout)")
            #expect(list.stdout.contains("gap: \(snapshot.window.missing.count) WAL segment(s) missing"), "\(list.stdout)")
            #expect(list.stdout.contains("2 base backup(s)"))
            #expect(await archive.stop(agent) == 0)
        }
    }
}
