import Foundation
@testable import Restore
import Testing
@testable import UndoWindow

/// ``ReplayStall``: when the scratch server's replay waits for WAL nobody will supply. Pure.
@Suite("undo window: the end of replay")
struct ReplayStallTests {
    static let x = "000000010000000000000007"
    static let y = "000000020000000000000007"

    @Test("the miss log names a segment only when its last three lines are that segment")
    func missLog() {
        #expect(ReplayStall.missedAgain(inLog: "") == nil)
        #expect(ReplayStall.missedAgain(inLog: "\(Self.x)\n\(Self.x)\n") == nil)
        #expect(ReplayStall.missedAgain(inLog: "\(Self.x)\n\(Self.x)\n\(Self.x)\n") == Self.x)
        // Another number last: not the same wait.
        #expect(ReplayStall.missedAgain(inLog: "\(Self.x)\n\(Self.x)\n000000010000000000000008\n") == nil)
        #expect(ReplayStall.missedAgain(inLog: "\(Self.y)\n\(Self.x)\n\(Self.x)\n\(Self.x)") == Self.x)
    }

    @Test("stuck only when the same signs hold for `settle`; staged WAL, a moving replay position or reset() start over")
    func settle() {
        var stall = ReplayStall(settle: .milliseconds(300))
        let start = ContinuousClock.now
        let stuck = ReplayStall.Observation(missedAgain: Self.x, staged: false, replayed: 100)
        #expect(stall.observe(stuck, at: start) == nil)
        #expect(stall.observe(stuck, at: start + .milliseconds(200)) == nil)
        #expect(stall.observe(stuck, at: start + .milliseconds(300)) == Self.x)

        // Replay moved on: the clock starts again.
        var moving = ReplayStall(settle: .milliseconds(300))
        #expect(moving.observe(stuck, at: start) == nil)
        #expect(moving.observe(ReplayStall.Observation(missedAgain: Self.x, staged: false, replayed: 200), at: start + .milliseconds(400)) == nil)
        #expect(moving.observe(ReplayStall.Observation(missedAgain: Self.x, staged: false, replayed: 200), at: start + .milliseconds(800)) == Self.x)

        // The segment is staged (the rest of the archive arrived): not stuck.
        var staged = ReplayStall(settle: .milliseconds(300))
        let waiting = ReplayStall.Observation(missedAgain: Self.x, staged: true, replayed: 100)
        #expect(staged.observe(waiting, at: start) == nil)
        #expect(staged.observe(waiting, at: start + .seconds(5)) == nil)

        // A gap in the signs starts over; so does reset().
        var gap = ReplayStall(settle: .milliseconds(300))
        #expect(gap.observe(stuck, at: start) == nil)
        #expect(gap.observe(ReplayStall.Observation(missedAgain: nil, staged: false, replayed: 100), at: start + .milliseconds(100)) == nil)
        #expect(gap.observe(stuck, at: start + .milliseconds(350)) == nil)
        gap.reset()
        #expect(gap.observe(stuck, at: start + .milliseconds(700)) == nil)
        #expect(gap.observe(stuck, at: start + .seconds(1)) == Self.x)
    }

    @Test("a staged file replay keeps missing is untaken after 10 s, never sooner; taking it, another segment or reset() start over")
    func untaken() {
        let start = ContinuousClock.now
        let waiting = ReplayStall.Observation(missedAgain: Self.x, staged: true, replayed: 100)
        var stall = ReplayStall()
        #expect(stall.untaken(waiting, at: start) == nil)
        #expect(stall.untaken(waiting, at: start + .seconds(9)) == nil)
        #expect(stall.untaken(waiting, at: start + .seconds(10)) == Self.x)

        // Taken (not staged any more), then staged and missed again: the clock starts again.
        var taken = ReplayStall()
        #expect(taken.untaken(waiting, at: start) == nil)
        #expect(taken.untaken(ReplayStall.Observation(missedAgain: Self.x, staged: false, replayed: 100), at: start + .seconds(5)) == nil)
        #expect(taken.untaken(waiting, at: start + .seconds(6)) == nil)
        #expect(taken.untaken(waiting, at: start + .seconds(15)) == nil)
        #expect(taken.untaken(waiting, at: start + .seconds(16)) == Self.x)

        // Another segment missed: not the same wait.
        var other = ReplayStall()
        #expect(other.untaken(waiting, at: start) == nil)
        #expect(other.untaken(ReplayStall.Observation(missedAgain: "000000010000000000000008", staged: true, replayed: 100), at: start + .seconds(10)) == nil)
        other.reset()
        #expect(other.untaken(waiting, at: start + .seconds(11)) == nil)
        #expect(other.untaken(waiting, at: start + .seconds(20)) == nil)
        #expect(other.untaken(waiting, at: start + .seconds(21)) == Self.x)
    }
}

/// Where the archive ends for replay, and which files it gets, across a timeline switch. Pure.
@Suite("undo window: the end of the archive")
struct ArchiveEndTests {
    static let size: UInt64 = 16 * 1024 * 1024

    static func file(_ timeline: UInt32, _ number: UInt64, partial: Bool = false, modified: TimeInterval = 0) -> WalFile {
        let segment = WalSegment(timeline: timeline, number: number, segmentSize: size)
        let name = segment.name + (partial ? ".partial" : "")
        return WalFile(fileName: name, path: "/w/" + name, segment: segment, isPartial: partial, modified: Date(timeIntervalSince1970: modified), bytes: Int64(size))
    }

    @Test("the end: past the last number, or the last number held only as .partial; a complete file or an earlier number is damage")
    func isEnd() {
        let archive = [Self.file(1, 5), Self.file(1, 6), Self.file(1, 7, partial: true)]
        let last = archive.map(\.segment).max()!
        let name = { (timeline: UInt32, number: UInt64) in WalSegment(timeline: timeline, number: number, segmentSize: Self.size).name }
        #expect(PointInTimeRestore.isEnd(name(1, 7), of: archive, last: last))
        #expect(PointInTimeRestore.isEnd(name(1, 8), of: archive, last: last))
        #expect(!PointInTimeRestore.isEnd(name(1, 6), of: archive, last: last))
        #expect(!PointInTimeRestore.isEnd(name(1, 4), of: archive, last: last))
        let complete = [Self.file(1, 5), Self.file(1, 6)]
        let completeLast = complete.map(\.segment).max()!
        #expect(!PointInTimeRestore.isEnd(name(1, 6), of: complete, last: completeLast))
        #expect(PointInTimeRestore.isEnd(name(1, 7), of: complete, last: completeLast))
        // After a promote: the old timeline's .partial and the new one's of the same number.
        let promoted = [Self.file(1, 5), Self.file(1, 6, partial: true), Self.file(2, 6, partial: true)]
        #expect(PointInTimeRestore.isEnd(name(2, 6), of: promoted, last: promoted.map(\.segment).max()!))
        let promotedOn = [Self.file(1, 5), Self.file(1, 6, partial: true), Self.file(2, 6), Self.file(2, 7, partial: true)]
        #expect(!PointInTimeRestore.isEnd(name(1, 6), of: promotedOn, last: promotedOn.map(\.segment).max()!))
    }

    @Test("the files chosen by time never split a number between timelines")
    func wholeLastNumber() {
        // The second file written after TIME is the old timeline's 6: the new timeline's 6 comes too.
        let wal = [Self.file(1, 5, modified: 30), Self.file(1, 6, partial: true, modified: 40), Self.file(2, 6, modified: 45), Self.file(2, 7, modified: 50)]
        let chosen = PointInTimeRestore.segments(wal, from: 5, through: nil, covering: Date(timeIntervalSince1970: 20))
        #expect(chosen.map(\.fileName) == [wal[0].fileName, wal[1].fileName, wal[2].fileName])
    }

    @Test("a server stuck at a switch asks for the number on both timelines in turn: that is one number missed again")
    func alternatingTimelines() {
        let x = WalSegment(timeline: 2, number: 6, segmentSize: Self.size).name
        let y = WalSegment(timeline: 1, number: 6, segmentSize: Self.size).name
        #expect(ReplayStall.missedAgain(inLog: "\(x)\n\(y)\n\(x)\n") == x)
        #expect(ReplayStall.missedAgain(inLog: "\(x)\n\(y)\n") == nil)
    }
}
