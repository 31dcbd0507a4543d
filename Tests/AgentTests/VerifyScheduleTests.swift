@testable import Agent
import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing

/// `VERIFY_SCHEDULE`: the agent re-reads every kept backup at each firing (default @daily), in
/// a loop of its own beside the passes.
@Suite("VERIFY_SCHEDULE", .timeLimit(.minutes(1)))
struct VerifyScheduleTests {
    /// A wall clock that moves to each sleep's target; the sleeps run out after `sleeps`.
    final class StepClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        private var sleeps: Int
        private(set) var runs: [Date] = []

        init(start: Date, sleeps: Int) {
            current = start
            self.sleeps = sleeps
        }

        var now: Date { lock.withLock { current } }

        func sleep(until target: Date) throws {
            try lock.withLock {
                guard sleeps > 0 else { throw CancellationError() }
                sleeps -= 1
                current = max(current, target)
            }
        }

        func run() { lock.withLock { runs.append(current); current += 600 } }
    }

    static let utc = TimeZone(identifier: "UTC")!

    static func environment(_ values: [String: String]) throws -> ScheduleSettings {
        let env = EnvironmentReader(["PRIMARY_HOST": "127.0.0.1", "BACKUP_DIR": "/nonexistent"].merging(values) { _, new in new })
        return try ScheduleSettings(settings: try BackupSettings(environment: env), environment: env)
    }

    @Test("default @daily; cron syntax as BACKUP_SCHEDULE; an invalid one names the variable")
    func settings() throws {
        #expect(try Self.environment([:]).verifySchedule.expression == "@daily")
        #expect(try Self.environment(["VERIFY_SCHEDULE": "30 4 * * sun"]).verifySchedule.expression == "30 4 * * sun")
        let error = #expect(throws: ConfigurationError.self) { try Self.environment(["VERIFY_SCHEDULE": "every day"]) }
        #expect(error?.variable == "VERIFY_SCHEDULE")
    }

    @Test("verification runs at each firing, not at start, and a failed one does not stop the next")
    func firings() async throws {
        let clock = StepClock(start: TestClock.date("2026-11-24 10:05:00"), sleeps: 3)
        var supervisor = BackupSupervisor(schedule: try CronSchedule("@hourly"), zone: Self.utc, runOnStart: false,
                                          logger: Logger(label: "test")) {}
        supervisor.clock = WallClock(now: { clock.now }, sleepUntil: { try clock.sleep(until: $0) })
        let verification = BackupSupervisor.ScheduledWork("verification of every backup", schedule: try CronSchedule("0 3 * * *")) {
            clock.run()
            throw BackupError(.lockHeld, "another backup-agent is writing")
        }
        await #expect(throws: CancellationError.self) { try await supervisor.scheduledLoop(verification) }
        #expect(clock.runs.map { TestClock.text($0, Self.utc) } == ["2026-11-25 03:00 GMT", "2026-11-26 03:00 GMT", "2026-11-27 03:00 GMT"])
    }
}
