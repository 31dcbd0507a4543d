import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Shared
import UnixSignals

/// `backup-agent run`: the long-running supervisor.
struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Supervisor: schedule, back up, prune, copy offsite.")

    func run() async throws {
        try await runReporting {
            let context = try AgentContext.load()
            var supervisor = BackupSupervisor(settings: context.settings, schedule: context.schedule.schedule,
                                              zone: context.schedule.zone, logger: context.logger)
            let afterPass = AfterPass(settings: context.settings, zone: context.schedule.zone, logger: context.logger)
            supervisor.afterPass = { await afterPass.run($0) }
            context.logger.info("backup-agent started", metadata: [
                "schedule": "\(context.settings.schedule)", "tz": "\(context.schedule.zone.identifier)",
                "backup_dir": "\(context.settings.backupDirectory)", LogKey.host: "\(context.settings.source.host):\(context.settings.source.port)",
            ])
            var configuration = ServiceGroupConfiguration(
                services: [.init(service: supervisor, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: context.logger)
            configuration.maximumGracefulShutdownDuration = .seconds(30)
            try await ServiceGroup(configuration: configuration).run()
        }
    }
}
