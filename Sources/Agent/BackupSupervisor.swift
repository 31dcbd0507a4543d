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
/// Beside the passes, ``verification`` (`VERIFY_SCHEDULE`) runs in a loop of its own: a long
/// verification never delays a pass, and it is cancelled on shutdown the same way.
public struct BackupSupervisor: Service {
    public let schedule: CronSchedule
    public let zone: TimeZone
    public let runOnStart: Bool
    public let logger: Logger
    /// One pass (with what follows it: offsite copies, retention).
    public let pass: @Sendable () async throws -> Void
    /// The wall clock: the real one, or a test's.
    public var clock = WallClock.system
    /// Scheduled re-reading of every kept backup (`verify --all`), nil for none.
    public var verification: ScheduledWork?

    /// Work run at every firing of its own schedule (never at start).
    public struct ScheduledWork: Sendable {
        public let schedule: CronSchedule
        public let work: @Sendable () async throws -> Void
        public init(schedule: CronSchedule, work: @escaping @Sendable () async throws -> Void) {
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
                    if let verification { group.addTask { try await verifyLoop(verification) } }
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
    /// Runs `verification` at every firing of its schedule until cancelled; a failure is logged.
    func verifyLoop(_ verification: ScheduledWork) async throws {
        while true {
            guard let next = verification.schedule.next(after: clock.now(), in: zone) else { return }
            logger.info("next verification of every backup scheduled", metadata: ["at": "\(ISO8601DateFormatter().string(from: next))"])
            try await clock.sleepUntil(next)
            do {
                try await verification.work()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("the verification of every backup could not run", metadata: [LogKey.error: "\(BackupPass.explain(error))"])
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
