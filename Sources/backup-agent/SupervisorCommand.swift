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
            let pass = BackupPass(settings: context.settings, lockTimeout: .seconds(3600), logger: context.logger)
            let afterPass = AfterPass(settings: context.settings, zone: context.schedule.zone, logger: context.logger)
            let supervisor = BackupSupervisor(schedule: context.schedule.schedule, zone: context.schedule.zone,
                                              runOnStart: context.settings.backupOnStart, logger: context.logger) {
                await afterPass.run(try await pass.run())
            }
            context.logger.info("backup-agent started", metadata: [
                "schedule": "\(context.settings.schedule)", "tz": "\(context.schedule.zone.identifier)",
                "backup_dir": "\(context.settings.backupDirectory)", LogKey.host: "\(context.settings.source.host):\(context.settings.source.port)",
            ])
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: supervisor, successTerminationBehavior: .gracefullyShutdownGroup)]
            if context.settings.archive.enabled {
                let layout = ArchiveLayout(root: context.settings.backupDirectory)
                let archive = context.settings.archive
                services.append(.init(service: WalReceiver(primary: context.settings.primary, slot: archive.slot, layout: layout, logger: context.logger)))
                let job = BaseBackupJob(primary: context.settings.primary, layout: layout, logger: context.logger)
                services.append(.init(service: BaseBackupService(job: job, settings: archive, zone: context.schedule.zone, logger: context.logger)))
                context.logger.info("WAL archive on", metadata: [LogKey.slot: "\(archive.slot)", "base_backup_schedule": "\(archive.baseSchedule.expression)"])
            }
            var configuration = ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: context.logger)
            configuration.maximumGracefulShutdownDuration = .seconds(30)
            try await ServiceGroup(configuration: configuration).run()
        }
    }
}
