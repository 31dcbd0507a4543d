@testable import Agent
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing

/// The supervisor's loop with a scripted wall clock: passes never overlap, a missed hour after
/// a suspend or clock jump runs once, not once per missed hour.
@Suite("supervisor schedule loop", .timeLimit(.minutes(1)))
struct SupervisorTests {
    /// A wall clock that jumps: each sleep moves "now" to the target plus a scripted overshoot.
    final class ScriptedClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        private var overshoots: [TimeInterval]
        private(set) var passes: [Date] = []
        private var running = 0
        private(set) var maxConcurrent = 0

        init(start: Date, overshoots: [TimeInterval]) {
            current = start
            self.overshoots = overshoots
        }

        var now: Date { lock.withLock { current } }

        func sleep(until target: Date) throws {
            try lock.withLock {
                guard !overshoots.isEmpty else { throw CancellationError() }
                current = max(current, target).addingTimeInterval(overshoots.removeFirst())
            }
        }

        func pass() async throws {
            lock.withLock {
                running += 1
                maxConcurrent = max(maxConcurrent, running)
                passes.append(current)
            }
            try await Task.sleep(for: .milliseconds(5))
            lock.withLock {
                current = current.addingTimeInterval(120)  // a pass takes two minutes
                running -= 1
            }
        }
    }

    @Test("on start, then each hour; a 5-hour suspend costs one pass, not five")
    func missedRunsOnce() async throws {
        let utc = TimeZone(identifier: "UTC")!
        let clock = ScriptedClock(start: TestClock.date("2026-11-24 10:05:00"),
                                  overshoots: [0, 5 * 3600 + 1800, 0])  // 11:00; the 12:00 sleep wakes at 17:30; then 18:00
        var supervisor = BackupSupervisor(schedule: try CronSchedule("@hourly"), zone: utc, runOnStart: true,
                                          logger: Logger(label: "test")) { try await clock.pass() }
        supervisor.clock = WallClock(now: { clock.now }, sleepUntil: { try clock.sleep(until: $0) })
        await #expect(throws: CancellationError.self) { try await supervisor.loop() }
        #expect(clock.passes.map { TestClock.text($0, utc) } == [
            "2026-11-24 10:05 GMT", "2026-11-24 11:00 GMT", "2026-11-24 17:30 GMT", "2026-11-24 18:00 GMT",
        ])
        #expect(clock.maxConcurrent == 1)
    }

    @Test("without BACKUP_ON_START the first pass waits for the schedule")
    func noPassOnStart() async throws {
        let utc = TimeZone(identifier: "UTC")!
        let clock = ScriptedClock(start: TestClock.date("2026-11-24 10:05:00"), overshoots: [0])
        var supervisor = BackupSupervisor(schedule: try CronSchedule("@daily"), zone: utc, runOnStart: false,
                                          logger: Logger(label: "test")) { try await clock.pass() }
        supervisor.clock = WallClock(now: { clock.now }, sleepUntil: { try clock.sleep(until: $0) })
        await #expect(throws: CancellationError.self) { try await supervisor.loop() }
        #expect(clock.passes.map { TestClock.text($0, utc) } == ["2026-11-25 00:00 GMT"])
    }
}
