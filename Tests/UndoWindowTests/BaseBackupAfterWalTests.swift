import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing
@testable import UndoWindow

/// `BASE_BACKUP_AFTER_WAL`: the setting, the WAL counted since a base backup, the rule.
@Suite("undo window: a base backup after so much WAL (pure)")
struct BaseBackupAfterWalRuleTests {
    static let mb: Int64 = 1 << 20

    @Test("the setting: auto, off, sizes in kB/MB/GB/TB; bad values are one line naming the variable")
    func parsing() throws {
        #expect(try BaseBackupAfterWal(parsing: "auto") == .auto)
        #expect(try BaseBackupAfterWal(parsing: "OFF") == .off)
        #expect(try BaseBackupAfterWal(parsing: "512MB") == .bytes(512 * Self.mb))
        #expect(try BaseBackupAfterWal(parsing: "2GB") == .bytes(2048 * Self.mb))
        #expect(try BaseBackupAfterWal(parsing: "1 TB") == .bytes(1 << 40))
        #expect(try BaseBackupAfterWal(parsing: "16384kB") == .bytes(16 * Self.mb))
        #expect(try ArchiveSettings(environment: EnvironmentReader([:])).baseAfterWal == .auto)
        #expect(try ArchiveSettings(environment: EnvironmentReader(["BASE_BACKUP_AFTER_WAL": "1GB"])).baseAfterWal == .bytes(1024 * Self.mb))
        // An empty value is unset (the default), as for every variable.
        #expect(try ArchiveSettings(environment: EnvironmentReader(["BASE_BACKUP_AFTER_WAL": ""])).baseAfterWal == .auto)
        #expect(try BaseBackupAfterWal(parsing: "2G") == .bytes(2048 * Self.mb))
        for bad in ["lots", "-1GB", "0MB", "1.5GB", "2XB"] {
            #expect(throws: ConfigurationError(variable: "BASE_BACKUP_AFTER_WAL", problem: "must be auto, off or a size such as 2GB or 512MB, got \"\(bad)\"")) {
                try ArchiveSettings(environment: EnvironmentReader(["BASE_BACKUP_AFTER_WAL": bad]))
            }
        }
        #expect(throws: ConfigurationError(variable: "BASE_BACKUP_AFTER_WAL", problem: "must be at least 16MB (one WAL segment), got \"8MB\"")) {
            try BaseBackupAfterWal(parsing: "8MB")
        }
    }

    @Test("the limit: auto is the base backup's data, at least 256 MB; a size is itself; off is none")
    func limit() {
        #expect(BaseBackupAfterWal.auto.limit(dataBytes: 2048 * Self.mb) == 2048 * Self.mb)
        #expect(BaseBackupAfterWal.auto.limit(dataBytes: 40 * Self.mb) == 256 * Self.mb)
        #expect(BaseBackupAfterWal.auto.limit(dataBytes: nil) == 256 * Self.mb)
        #expect(BaseBackupAfterWal.bytes(64 * Self.mb).limit(dataBytes: 2048 * Self.mb) == 64 * Self.mb)
        #expect(BaseBackupAfterWal.off.limit(dataBytes: 2048 * Self.mb) == nil)
    }

    @Test("WAL since a base backup: the complete segments after the one it ended in, the newest not counted")
    func walSince() {
        // Ends in segment 3 (0/3000100).
        let base = ArchiveModelTests.base("b", start: "0/2000028", end: "0/3000100", finished: 0)
        let files = { (numbers: ClosedRange<UInt64>) in numbers.map { ArchiveModelTests.wal($0, modified: 0) } }
        #expect(BaseBackupAfterWal.walSince(base, wal: []) == 0)
        // Right after the base backup: its own segments and the one it switched to.
        #expect(BaseBackupAfterWal.walSince(base, wal: files(2...4)) == 0)
        #expect(BaseBackupAfterWal.walSince(base, wal: files(2...5)) == 16 * Self.mb)
        #expect(BaseBackupAfterWal.walSince(base, wal: files(2...20)) == 16 * 16 * Self.mb)
    }

    @Test("the rule: due once the WAL reaches the limit while the receiver streams; never when off; the schedule still counts")
    func due() throws {
        let base = ArchiveModelTests.base("b", start: "0/2000028", end: "0/3000100", finished: 0)
        let wal = (2...20).map { ArchiveModelTests.wal($0, modified: 0) }
        let window = UndoWindow(bases: [base], wal: wal, streamedUntil: nil)
        let weekly = try CronSchedule("@weekly")
        let zone = TimeZone(identifier: "UTC")!
        let now = base.manifest.startedAt + 3600
        let since = BaseBackupAfterWal.walSince(base, wal: wal)
        let reason = BaseBackupService.due(bases: [base], window: window, streaming: true, schedule: weekly, zone: zone, now: now,
                                           walSince: since, walLimit: 256 * Self.mb)
        #expect(reason?.hasPrefix("BASE_BACKUP_AFTER_WAL: ") == true, "\(reason ?? "nil")")
        #expect(BaseBackupService.due(bases: [base], window: window, streaming: true, schedule: weekly, zone: zone, now: now,
                                      walSince: since, walLimit: 257 * Self.mb) == nil)
        #expect(BaseBackupService.due(bases: [base], window: window, streaming: false, schedule: weekly, zone: zone, now: now,
                                      walSince: since, walLimit: 256 * Self.mb) == nil)
        #expect(BaseBackupService.due(bases: [base], window: window, streaming: true, schedule: weekly, zone: zone, now: now,
                                      walSince: since, walLimit: nil) == nil)
        #expect(BaseBackupService.due(bases: [base], window: window, streaming: true, schedule: weekly, zone: zone, now: now + 8 * 86_400,
                                      walSince: 0, walLimit: nil) == "BASE_BACKUP_SCHEDULE")
    }
}

/// The agent takes a base backup after so much WAL, and `restore --at` then replays from it.
@Suite("undo window: a base backup after so much WAL", .serialized, .timeLimit(.minutes(5)))
struct BaseBackupAfterWalTests {
    @Test("BASE_BACKUP_AFTER_WAL=32MB: four segments of WAL make a second base backup, not a third; restore --at replays from the second")
    func afterWal() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent(["BASE_BACKUP_AFTER_WAL": "32MB"])
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let first = try #require(StoredBaseBackup.all(in: archive.layout).first)
            // One switch: not yet due (nothing past the segment after the base backup's end is complete).
            _ = try await archive.addTimeline("One")
            try await cluster.query("SELECT pg_switch_wal()")
            try await Task.sleep(for: .seconds(12))
            #expect(StoredBaseBackup.all(in: archive.layout).count == 1, "\(archive.log)")

            for name in ["Two", "Three", "Four"] {
                _ = try await archive.addTimeline(name)
                try await cluster.query("SELECT pg_switch_wal()")
            }
            _ = try await archive.addTimeline("Five")
            #expect(await archive.waitUntilArchiving(bases: 2, timeout: .seconds(40)), "\(archive.log)")
            #expect(archive.log.contains("BASE_BACKUP_AFTER_WAL: "), "\(archive.log)")
            // Its own WAL does not make the next one due.
            try await Task.sleep(for: .seconds(15))
            let bases = StoredBaseBackup.all(in: archive.layout)
            #expect(bases.count == 2, "\(bases.map(\.name)) \(archive.log)")
            let second = try #require(bases.last)
            #expect(second.name != first.name)

            let id = try await archive.addTimeline("After the second base backup")
            try await Task.sleep(for: .seconds(1.5))
            let time = ArchiveHarness.text(Date())
            try await Task.sleep(for: .seconds(1.5))
            try await archive.deleteTimeline(id)
            _ = try await archive.addTimeline("Later")
            try await cluster.query("SELECT pg_switch_wal()")
            try await Task.sleep(for: .seconds(3))

            let restored = try await archive.run(["restore", "--db", "Resolve", "--at", time, "--as", "Resolve_at"])
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(restored.stdout.contains("base=\(second.name)"), "restore --at should replay from the newest base backup \(second.name): \(restored.stdout)")
            #expect(try await archive.clips(id, in: "Resolve_at") == 3)
            #expect(await archive.stop(agent) == 0)
        }
    }
}
