import Backups
import Foundation
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The long-running `backup-agent run`: a swift-service-lifecycle `Service` that runs a pass on
/// start (when `runOnStart`) and at every firing of the schedule. Passes never overlap (one
/// loop), and after a sleep or a clock jump a missed firing runs once: the next firing is
/// always computed from the wall clock after the previous pass ended.
///
/// On graceful shutdown (SIGTERM) the sleep or the running pass is cancelled: pg_dump gets
/// SIGTERM, the partial file is removed, and `run()` returns.
///
/// Beside the passes, each of ``scheduled`` (`VERIFY_SCHEDULE`'s verification, the watch, the
/// daily summary) runs in a loop of its own: a long verification never delays a pass, and each is
/// cancelled on shutdown the same way.
public struct BackupSupervisor: Service {
    public let schedule: CronSchedule
    public let zone: TimeZone
    public let runOnStart: Bool
    public let logger: Logger
    /// One pass (with what follows it: offsite copies, retention).
    public let pass: @Sendable () async throws -> Void
    /// The wall clock: the real one, or a test's.
    public var clock = WallClock.system
    /// Work beside the passes, each on its own schedule.
    public var scheduled: [ScheduledWork] = []

    /// Work run at every firing of its own schedule (never at start).
    public struct ScheduledWork: Sendable {
        /// What the log calls it: "the verification of every backup".
        public let name: String
        public let schedule: CronSchedule
        /// The level of its "next … scheduled" line: the watch, every few minutes, logs at debug.
        public var logLevel: Logger.Level = .info
        public let work: @Sendable () async throws -> Void
        public init(_ name: String, schedule: CronSchedule, work: @escaping @Sendable () async throws -> Void) {
            self.name = name
            self.schedule = schedule
            self.work = work
        }
    }

    public init(schedule: CronSchedule, zone: TimeZone, runOnStart: Bool, logger: Logger,
                pass: @escaping @Sendable () async throws -> Void) {
        self.schedule = schedule
        self.zone = zone
        self.runOnStart = runOnStart
        self.logger = logger
        self.pass = pass
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await loop() }
                    for work in scheduled { group.addTask { try await scheduledLoop(work) } }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            logger.info("backup-agent stopping")
        }
    }

    /// Runs until cancelled.
    func loop() async throws {
        var runNow = runOnStart
        while true {
            if !runNow {
                guard let next = schedule.next(after: clock.now(), in: zone) else {
                    throw BackupError(.scheduleNeverFires, "BACKUP_SCHEDULE \"\(schedule.expression)\" never fires; fix the expression")
                }
                logger.info("next backup pass scheduled", metadata: ["at": "\(ISO8601DateFormatter().string(from: next))"])
                try await clock.sleepUntil(next)
            }
            runNow = false
            do {
                try await pass()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("backup pass could not run", metadata: [LogKey.error: "\(BackupPass.explain(error))"])
            }
        }
    }
}

extension BackupSupervisor {
    /// Runs `work` at every firing of its schedule until cancelled; a failure is logged.
    func scheduledLoop(_ work: ScheduledWork) async throws {
        while true {
            guard let next = work.schedule.next(after: clock.now(), in: zone) else { return }
            logger.log(level: work.logLevel, "next \(work.name) scheduled", metadata: ["at": "\(ISO8601DateFormatter().string(from: next))"])
            try await clock.sleepUntil(next)
            do {
                try await work.work()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("\(work.name) could not run", metadata: [LogKey.error: "\(BackupPass.explain(error))"])
            }
        }
    }
}

/// Reading the wall clock and sleeping until a wall-clock time; replaceable in tests.
public struct WallClock: Sendable {
    public let now: @Sendable () -> Date
    public let sleepUntil: @Sendable (Date) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleepUntil: @escaping @Sendable (Date) async throws -> Void) {
        self.now = now
        self.sleepUntil = sleepUntil
    }

    public static let system = WallClock(now: { Date() }, sleepUntil: { try await ScheduleClock.sleep(until: $0) })
}
