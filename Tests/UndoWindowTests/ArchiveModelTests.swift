@testable import Backups
import Foundation
@testable import LaterbaseCore
@testable import Restore
import Testing
@testable import UndoWindow

/// The undo window's pure parts: segment names, LSNs, TIME, the window and its gaps, retention,
/// the health line, the settings.
@Suite("undo window: pure logic")
struct ArchiveModelTests {
    static let size: UInt64 = 16 * 1024 * 1024
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    static func base(_ name: String, start: String, end: String, finished: TimeInterval, timeline: UInt32 = 1) -> StoredBaseBackup {
        StoredBaseBackup(name: name, path: "/b/" + name, manifest: BaseBackupManifest(
            startLSN: start, endLSN: end, timeline: timeline, startedAt: t0 + finished - 10, finishedAt: t0 + finished, walSegmentSize: size,
            serverVersionNumber: 150_004, serverVersion: "15.4", databases: ["Resolve"], bytes: 1, sourceHost: "h:5432"))
    }

    static func wal(_ number: UInt64, modified: TimeInterval, partial: Bool = false) -> WalFile {
        let segment = WalSegment(timeline: 1, number: number, segmentSize: size)
        let name = segment.name + (partial ? ".partial" : "")
        return WalFile(fileName: name, path: "/w/" + name, segment: segment, isPartial: partial, modified: t0 + modified, bytes: Int64(size))
    }

    @Test("segment names: parse, format, .partial, wrong names", arguments: [
        ("000000010000000A00000042", true, 1, 0xA * 256 + 0x42),
        ("000000020000000000000001.partial", true, 2, 1),
        ("00000001000000000000000", false, 0, 0),       // 23 digits
        ("00000002.history", false, 0, 0),
        ("000000010000000000000100", false, 0, 0),      // low part 0x100 is past 255 for 16 MB segments
    ] as [(String, Bool, UInt32, UInt64)])
    func segmentNames(name: String, valid: Bool, timeline: UInt32, number: UInt64) {
        let segment = WalSegment(fileName: name, segmentSize: Self.size)
        #expect((segment != nil) == valid)
        if let segment {
            #expect(segment.timeline == timeline)
            #expect(segment.number == number)
            #expect(segment.name == String(name.prefix(24)))
        }
    }

    @Test("LSNs: 0/2000028 and back, the segment holding one")
    func lsn() {
        #expect(LSN.parse("0/2000028") == 0x2000028)
        #expect(LSN.parse("A/42000000") == 0xA_4200_0000)
        #expect(LSN.parse("nope") == nil)
        #expect(LSN.format(0xA_4200_0000) == "A/42000000")
        #expect(WalSegment(timeline: 1, lsn: 0xA_4200_0000, segmentSize: Self.size).name == "000000010000000A00000042")
    }

    @Test("TIME: in TZ, with Z, with an offset, without seconds; nonsense is nil")
    func restoreTime() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let utc = Date(timeIntervalSince1970: 1_795_527_299)  // 2026-11-24 13:34:59 UTC
        #expect(RestoreTime.parse("2026-11-24 14:34:59", zone: berlin) == utc)
        #expect(RestoreTime.parse("2026-11-24T13:34:59Z", zone: berlin) == utc)
        #expect(RestoreTime.parse("2026-11-24 13:34:59 UTC", zone: berlin) == utc)
        #expect(RestoreTime.parse("2026-11-24 15:34:59+02:00", zone: berlin) == utc)
        #expect(RestoreTime.parse("2026-11-24 14:34", zone: berlin) == utc - 59)
        #expect(RestoreTime.parse("yesterday", zone: berlin) == nil)
        #expect(RestoreTime.parse("2026-13-40 10:00:00", zone: berlin) == nil)
        #expect(RestoreTime.postgresText(utc) == "2026-11-24 13:34:59+00")
    }

    @Test("window: from the base backup's end to the newest WAL; a missing segment is a gap that needs a new base backup")
    func windowAndGap() {
        let b1 = Self.base("b1", start: "0/2000028", end: "0/2000100", finished: 0)
        let whole = UndoWindow(bases: [b1], wal: [Self.wal(2, modified: 5), Self.wal(3, modified: 60), Self.wal(4, modified: 90, partial: true)])
        #expect(whole.oldest == Self.t0)
        #expect(whole.newest == Self.t0 + 90)
        #expect(whole.missing.isEmpty)
        #expect(!whole.newestNeedsBaseBackup)
        if case .failure(let refusal) = whole.base(for: Self.t0 + 91) { #expect(refusal.code == .afterWindow && refusal.description.contains("is after the newest restorable time")) } else { Issue.record("accepted") }
        if case .failure(let refusal) = whole.base(for: Self.t0 - 1) { #expect(refusal.code == .beforeWindow && refusal.description.contains("is before the oldest restorable time")) } else { Issue.record("accepted") }

        // Segment 4 missing: the base backup reaches only segment 3; 5 and 6 need a new base backup.
        let holed = UndoWindow(bases: [b1], wal: [Self.wal(2, modified: 5), Self.wal(3, modified: 60), Self.wal(5, modified: 200), Self.wal(6, modified: 300, partial: true)])
        #expect(holed.missing.map(\.number) == [4])
        #expect(holed.newestNeedsBaseBackup)
        #expect(holed.newest == Self.t0 + 60)
        // A new base backup after the gap restores from its end on; the hole stays a hole.
        let b2 = Self.base("b2", start: "0/5000028", end: "0/5000100", finished: 210)
        let mended = UndoWindow(bases: [b1, b2], wal: holed.spans.isEmpty ? [] : [Self.wal(2, modified: 5), Self.wal(3, modified: 60), Self.wal(5, modified: 200), Self.wal(6, modified: 300, partial: true)])
        #expect(!mended.newestNeedsBaseBackup)
        #expect(mended.missing.map(\.number) == [4])
        #expect(mended.newest == Self.t0 + 300)
        if case .failure(let refusal) = mended.base(for: Self.t0 + 100) { #expect(refusal.code == .inGap && refusal.description.contains("falls in a gap")) } else { Issue.record("accepted") }
        if case .success(let span) = mended.base(for: Self.t0 + 250) { #expect(span.base == "b2") } else { Issue.record("refused") }
        if case .success(let span) = mended.base(for: Self.t0 + 30) { #expect(span.base == "b1") } else { Issue.record("refused") }
    }

    @Test("window: an idle primary writes no WAL; the receiver's confirmation extends the newest span")
    func idlePrimary() {
        let b1 = Self.base("b1", start: "0/2000028", end: "0/2000100", finished: 0)
        let window = UndoWindow(bases: [b1], wal: [Self.wal(2, modified: 5, partial: true)], streamedUntil: Self.t0 + 3600)
        #expect(window.newest == Self.t0 + 3600)
        #expect(UndoWindow(bases: [], wal: [Self.wal(2, modified: 5)]).newest == nil)
    }

    @Test("replay copies WAL from the base backup's start to one segment past TIME, never past the unbroken run")
    func segmentsForReplay() {
        let files = [Self.wal(1, modified: 0), Self.wal(2, modified: 10), Self.wal(3, modified: 20), Self.wal(4, modified: 30), Self.wal(5, modified: 40, partial: true)]
        #expect(PointInTimeRestore.segments(files, from: 2, through: nil, covering: Self.t0 + 15).map(\.segment.number) == [2, 3, 4])
        #expect(PointInTimeRestore.segments(files, from: 2, through: 3, covering: Self.t0 + 15).map(\.segment.number) == [2, 3])
        #expect(PointInTimeRestore.segments(files, from: 2, through: nil, covering: Self.t0 + 99).map(\.segment.number) == [2, 3, 4, 5])
    }

    /// Retention table: (base backups as (name, finished days ago, start segment), WAL segments, keep days)
    /// → kept base backups, deleted segments.
    @Test("retention keeps the newest base backup, the one at the window's start, and every WAL segment a kept one needs", arguments: [
        // Nothing old enough: all kept, WAL before the oldest base's start goes.
        ([("b1", 3.0, 10 as UInt64), ("b2", 1.0, 20)], Array(UInt64(8)...25), 7, ["b1", "b2"], [8, 9] as [UInt64]),
        // b1 ended before the window's start but is the newest such: kept; b0 goes with its WAL.
        ([("b0", 20.0, 2 as UInt64), ("b1", 9.0, 10), ("b2", 1.0, 20)], Array(UInt64(2)...25), 7, ["b1", "b2"], Array(UInt64(2)...9)),
        // Only old base backups: the newest is always kept, with its WAL.
        ([("b0", 40.0, 2 as UInt64), ("b1", 30.0, 10)], Array(UInt64(2)...12), 7, ["b1"], Array(UInt64(2)...9)),
        // No base backup: nothing is deleted.
        ([], Array(UInt64(2)...5), 7, [], []),
    ] as [([(String, Double, UInt64)], [UInt64], Int, [String], [UInt64])])
    func retention(bases: [(String, Double, UInt64)], segments: [UInt64], keepDays: Int, kept: [String], deleted: [UInt64]) {
        let now = Self.t0 + 100 * 86_400
        let stored = bases.map { name, daysAgo, start in
            Self.base(name, start: LSN.format(start * Self.size + 40), end: LSN.format(start * Self.size + 400),
                      finished: 100 * 86_400 - daysAgo * 86_400)
        }
        var files = segments.map { Self.wal($0, modified: 0) }
        files.append(Self.wal((segments.last ?? 0) + 1, modified: 0, partial: true))
        let plan = WalRetention.plan(bases: stored, wal: files, now: now, keepDays: keepDays)
        #expect(plan.keptBases == kept)
        #expect(plan.deletedWal == deleted.map { Self.wal($0, modified: 0).path })
        // The invariant: no kept base backup loses a segment from its start on.
        let starts = stored.filter { kept.contains($0.name) }.compactMap { $0.manifest.startSegment?.number }
        #expect(plan.deletedWal.allSatisfy { path in files.first { $0.path == path }!.segment.number < (starts.min() ?? 0) })
        #expect(!plan.deletedWal.contains { $0.hasSuffix(".partial") })
    }

    @Test("health: receiver down names the slot's wal_status and safe_wal_size; a gap is unhealthy; all well shows the window and RPO")
    func health() {
        let b1 = Self.base("b1", start: "0/2000028", end: "0/2000100", finished: 0)
        let now = Self.t0 + 100
        let window = UndoWindow(bases: [b1], wal: [Self.wal(2, modified: 95, partial: true)], streamedUntil: now - 2)
        let streaming = ReceiverStatus(state: .streaming, since: Self.t0, updatedAt: now - 1, streamedUntil: now - 2)
        let fine = ArchiveHealth.evaluate(window: window, receiver: streaming, slot: nil, now: now)
        #expect(fine.healthy)
        #expect(fine.message == "undo window \(UndoWindow.text(Self.t0)) – \(UndoWindow.text(now - 2)), RPO 2s")

        let down = ReceiverStatus(state: .down, since: now - 50, updatedAt: now - 1, lastError: "pg_receivewal failed (exited(1))")
        let slot = ArchiveHealth.SlotReport.from(slot: "laterbase_wal_slot", row: ["extended", "1073741824"])
        let verdict = ArchiveHealth.evaluate(window: window, receiver: down, slot: slot, now: now)
        #expect(!verdict.healthy)
        #expect(verdict.message.hasPrefix("WAL receiver down since \(UndoWindow.text(now - 50)) (pg_receivewal failed (exited(1))); slot laterbase_wal_slot on the primary: wal_status extended, safe_wal_size 1.0 GiB"))
        #expect(ArchiveHealth.SlotReport.from(slot: "s", row: nil).text == "slot s does not exist on the primary")

        // Right after the agent starts: `starting` for ArchiveHealth.startupGrace seconds, then down.
        let starting = ReceiverStatus(state: .starting, since: now - 3, updatedAt: now - 3, streamedUntil: now - 40)
        let early = ArchiveHealth.evaluate(window: window, receiver: starting, slot: nil, now: now)
        #expect(early.healthy)
        #expect(early.message == "undo window \(UndoWindow.text(Self.t0)) – \(UndoWindow.text(now - 2)), WAL receiver starting since \(UndoWindow.text(now - 3))")
        let stuck = ArchiveHealth.evaluate(window: window, receiver: starting, slot: slot, now: now + ArchiveHealth.startupGrace)
        #expect(!stuck.healthy)
        #expect(stuck.message.hasPrefix("WAL receiver down since \(UndoWindow.text(now - 3))"), "\(stuck.message)")

        let holed = UndoWindow(bases: [b1], wal: [Self.wal(2, modified: 5), Self.wal(4, modified: 95, partial: true)])
        let gap = ArchiveHealth.evaluate(window: holed, receiver: streaming, slot: nil, now: now)
        #expect(!gap.healthy)
        #expect(gap.message.contains("has a gap; 1 WAL segment(s) missing (000000010000000000000003…)"))

        let combined = BackupHealth.combine(.init(healthy: true, message: "healthy: 1 database(s) backed up, newest 5m ago"), gap)
        #expect(!combined.healthy)
        #expect(combined.message.hasPrefix("unhealthy: 1 database(s) backed up, newest 5m ago; the WAL archive has a gap"))
    }

    @Test("settings: defaults, and one line naming the variable for a bad value")
    func settings() throws {
        let defaults = try ArchiveSettings(environment: EnvironmentReader([:]))
        #expect(!defaults.enabled && defaults.slot == "laterbase_wal_slot" && defaults.baseSchedule.expression == "@weekly" && defaults.keepDays == 7)
        #expect(throws: ConfigurationError(variable: "WAL_SLOT", problem: "must be lower-case letters, digits and underscores (at most 63), got \"Bad-Slot\"")) {
            try ArchiveSettings(environment: EnvironmentReader(["WAL_SLOT": "Bad-Slot"]))
        }
        #expect(throws: ConfigurationError(variable: "WAL_ARCHIVE", problem: "must be true or false, got \"maybe\"")) {
            try ArchiveSettings(environment: EnvironmentReader(["WAL_ARCHIVE": "maybe"]))
        }
        #expect(throws: ConfigurationError.self) { try ArchiveSettings(environment: EnvironmentReader(["BASE_BACKUP_SCHEDULE": "every week"])) }
        #expect(throws: ConfigurationError(variable: "WAL_KEEP_DAYS", problem: "must be a whole number from 1 to 36500, got \"0\"")) {
            try ArchiveSettings(environment: EnvironmentReader(["WAL_KEEP_DAYS": "0"]))
        }
    }
}
