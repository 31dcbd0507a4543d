@testable import Backups
import Foundation
@testable import LaterbaseCore
import Testing
@testable import UndoWindow

/// The offsite undo window's pure parts: the index (its WAL files, its window, its write times),
/// the health verdict and the intervals derived from OFFSITE_MAX_WAL_LAG.
@Suite("undo window offsite: pure logic")
struct OffsiteArchiveModelTests {
    typealias Model = ArchiveModelTests
    static let t0 = Model.t0

    static func entry(_ modified: TimeInterval) -> OffsiteArchiveIndex.Entry {
        .init(bytes: Int64(Model.size), modified: t0 + modified, sha256: "00", uploadedAt: t0 + modified + 1)
    }

    /// One base backup (segment 2, finished at t0+10) and segments 2–4 offsite, 5 as a `.partial` copy.
    static func index() -> OffsiteArchiveIndex {
        var index = OffsiteArchiveIndex()
        index.bases["b1"] = Model.base("b1", start: "0/2000028", end: "0/2000100", finished: 10).manifest
        for (number, modified) in [(2, 5.0), (3, 60), (4, 120)] as [(UInt64, TimeInterval)] {
            index.wal[WalSegment(timeline: 1, number: number, segmentSize: Model.size).name] = entry(modified)
        }
        var partial = entry(150)
        partial.object = "000000010000000000000005.partial.1795000150000"
        index.wal["000000010000000000000005.partial"] = partial
        index.wal["00000002.history"] = entry(1)
        return index
    }

    @Test("the index's WAL files: a complete segment wins over its .partial; .history is no segment; the object of a .partial copy")
    func walFiles() {
        var index = Self.index()
        #expect(index.walFiles(segmentSize: Model.size, folder: ".wal").map(\.fileName)
            == ["000000010000000000000002", "000000010000000000000003", "000000010000000000000004", "000000010000000000000005.partial"])
        #expect(index.object("000000010000000000000005.partial") == "000000010000000000000005.partial.1795000150000")
        #expect(index.object("000000010000000000000003") == "000000010000000000000003")
        index.wal["000000010000000000000005"] = Self.entry(170)
        #expect(index.walFiles(segmentSize: Model.size, folder: ".wal").last?.fileName == "000000010000000000000005")
    }

    @Test("the offsite window: from the base backup's end to the newest copy, or to streamedUntil when everything was copied")
    func window() {
        var index = Self.index()
        #expect(index.window.oldest == Self.t0 + 10)
        #expect(index.window.newest == Self.t0 + 150)
        index.streamedUntil = Self.t0 + 400
        #expect(index.window.newest == Self.t0 + 400)
        #expect(OffsiteArchiveIndex().window.newest == nil)
    }

    @Test("write times survive the JSON round trip to the microsecond (a .partial rewritten within the second is not taken for unchanged)")
    func writeTimes() throws {
        let modified = Date(timeIntervalSinceReferenceDate: 817_000_123.456_789)
        var index = OffsiteArchiveIndex()
        index.wal["000000010000000000000002.partial"] = .init(bytes: 1, modified: modified, sha256: "ab", uploadedAt: modified)
        let decoded = try JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: try index.forRemote())
        let entry = try #require(decoded.wal["000000010000000000000002.partial"])
        #expect(entry.written(at: modified))
        #expect(!entry.written(at: modified.addingTimeInterval(0.2)))
    }

    @Test("the local failure stays out of the remote copy")
    func remoteCopy() throws {
        var index = Self.index()
        index.lastError = "rclone: connection refused"
        let remote = try JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: try index.forRemote())
        #expect(remote.lastError == nil)
        #expect(remote.wal == index.wal)
        #expect(remote.bases == index.bases)
    }

    @Test("health: level is healthy; behind by more than OFFSITE_MAX_WAL_LAG is unhealthy with the last error; no base offsite yet")
    func health() {
        let local = UndoWindow(bases: [Model.base("b1", start: "0/2000028", end: "0/2000100", finished: 10)],
                               wal: [Model.wal(2, modified: 5), Model.wal(3, modified: 60), Model.wal(4, modified: 120), Model.wal(5, modified: 200, partial: true)])
        let bases = [Model.base("b1", start: "0/2000028", end: "0/2000100", finished: 10)]
        var index = Self.index()
        #expect(OffsiteArchiveHealth.lag(index: index, local: local) == 50)
        let level = OffsiteArchiveHealth.evaluate(index: index, local: local, localBases: bases, maxLag: 60, now: Self.t0 + 210)
        #expect(level?.healthy == true)
        #expect(level?.message == "offsite restorable until 2026-11-18 11:09:10 UTC (lag 50s)")
        index.lastError = "rclone: connection refused"
        let behind = OffsiteArchiveHealth.evaluate(index: index, local: local, localBases: bases, maxLag: 30, now: Self.t0 + 210)
        #expect(behind?.healthy == false)
        #expect(behind?.message == "offsite undo window 50s behind the local one (OFFSITE_MAX_WAL_LAG 30s): restorable from the remote until 2026-11-18 11:09:10 UTC; last error: rclone: connection refused")
        let empty = OffsiteArchiveIndex()
        #expect(OffsiteArchiveHealth.evaluate(index: empty, local: local, localBases: bases, maxLag: 900, now: Self.t0 + 300)?.healthy == true)
        #expect(OffsiteArchiveHealth.evaluate(index: empty, local: local, localBases: bases, maxLag: 60, now: Self.t0 + 300)
            == .init(healthy: false, message: "offsite: no base backup offsite yet"))
        #expect(OffsiteArchiveHealth.evaluate(index: index, local: UndoWindow(bases: [], wal: []), localBases: [], maxLag: 60, now: Self.t0) == nil)
    }

    @Test("intervals from OFFSITE_MAX_WAL_LAG: a tenth (5 s to a minute) between syncs, a third between .partial copies")
    func intervals() {
        #expect(OffsiteArchiveService.interval(maxLag: 900) == .seconds(60))
        #expect(OffsiteArchiveService.interval(maxLag: 120) == .seconds(12))
        #expect(OffsiteArchiveService.interval(maxLag: 20) == .seconds(5))
        #expect(OffsiteArchiveService.partialInterval(maxLag: 900) == 300)
    }
}
