import Foundation
import Logging
import ServiceLifecycle

/// The long-running `backup-agent run`: a swift-service-lifecycle `Service` that runs a pass on
/// start (when `BACKUP_ON_START`) and at every firing of the schedule. Passes never overlap
/// (one loop), and after a sleep or a clock jump a missed firing runs once: the next firing is
/// always computed from the moment the previous pass ended.
///
/// On graceful shutdown (SIGTERM) the sleep or the running pass is cancelled: pg_dump gets
/// SIGTERM, the partial file is removed, and `run()` returns.
public struct BackupSupervisor: Service {
    public let settings: BackupSettings
    public let schedule: CronSchedule
    public let zone: TimeZone
    public let logger: Logger
    /// Called after each pass (retention and offsite copies hook in here).
    public var afterPass: (@Sendable (AgentState.Pass) async -> Void)?

    public init(settings: BackupSettings, schedule: CronSchedule, zone: TimeZone, logger: Logger) {
        self.settings = settings
        self.schedule = schedule
        self.zone = zone
        self.logger = logger
    }

    public func run() async throws {
        let pass = BackupPass(settings: settings, lockTimeout: .seconds(3600), logger: logger)
        let runOnStart = settings.backupOnStart
        do {
            try await cancelWhenGracefulShutdown {
                var runNow = runOnStart
                while true {
                    if !runNow {
                        guard let next = schedule.next(after: Date(), in: zone) else {
                            throw CommandFailure("BACKUP_SCHEDULE \"\(schedule.expression)\" never fires; fix the expression")
                        }
                        logger.info("next backup pass scheduled", metadata: ["at": "\(ISO8601DateFormatter().string(from: next))"])
                        try await ScheduleClock.sleep(until: next)
                    }
                    runNow = false
                    do {
                        let result = try await pass.run()
                        await afterPass?(result)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.error("backup pass could not run", metadata: [LogKey.error: "\(BackupPass.explain(error))"])
                    }
                }
            }
        } catch is CancellationError {
            logger.info("backup-agent stopping")
        }
    }
}
