import Foundation
import Testing
@testable import Shared

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
        // A timeline switch: one miss on the newer timeline, then the older one is taken.
        #expect(ReplayStall.missedAgain(inLog: "\(Self.x)\n\(Self.x)\n\(Self.y)\n") == nil)
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
}
