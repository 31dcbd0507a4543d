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
public struct BackupSupervisor: Service {
    public let schedule: CronSchedule
    public let zone: TimeZone
    public let runOnStart: Bool
    public let logger: Logger
    /// One pass (with what follows it: offsite copies, retention).
    public let pass: @Sendable () async throws -> Void
    /// The wall clock: the real one, or a test's.
    public var clock = WallClock.system

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
            try await cancelWhenGracefulShutdown { try await loop() }
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
