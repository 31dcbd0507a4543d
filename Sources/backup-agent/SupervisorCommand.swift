import Agent
import ArgumentParser
import Backups
import Console
import Foundation
import LaterbaseCore
import Logging
import Notify
import ServiceLifecycle
import UndoWindow
import UnixSignals

/// `backup-agent run`: the long-running supervisor (and, with `WAL_ARCHIVE=on`, the WAL
/// receiver and the base backups; with `CONSOLE=on`, the web console: services of the same group).
struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Supervisor: schedule, back up, prune, copy offsite.")

    func run() async throws {
        try await CommandErrors.reporting {
            // First: every descriptor the hard limit allows, before the console can take any.
            let openFiles = FileDescriptorLimit.raiseSoftToHard()
            let agent = try AgentContext.load()
            try await agent.checkOffsiteEncryption()
            let console = try ConsoleSettings(environment: EnvironmentReader())
            let notifySettings = try NotifySettings(environment: EnvironmentReader())
            try await AppriseSender.validate(notifySettings)
            let notifications = try await AgentNotifications.make(notifySettings, layout: agent.layout, logger: agent.logger)
            KnownVariables.warnAboutUnknown(logger: agent.logger)
            if case .failure(let error) = openFiles {
                agent.logger.warning("could not raise the limit of open files; the console takes fewer connections", metadata: [LogKey.error: "\(error)"])
            }
            agent.logger.info("backup-agent started", metadata: [
                "schedule": "\(agent.settings.schedule)", "tz": "\(agent.zone.identifier)",
                "backup_dir": "\(agent.settings.backupDirectory)", LogKey.host: "\(agent.settings.source.host):\(agent.settings.source.port)",
                "wal_archive": "\(agent.archive.enabled ? "on, slot \(agent.archive.slot), base backups \(agent.archive.baseSchedule.expression)" : "off")",
                "console": "\(console.enabled ? "on, port \(console.port)" : "off")",
                "notify": "\(notifySettings.urls == nil ? "off" : "\(notifySettings.urlList.count) target(s)")",
                "ping": "\(notifications.ping.map { "on, \($0.url.host)" } ?? "off")",
                "open_files": "\(FileDescriptorLimit.current().map { "\($0.soft) (hard \($0.hard))" } ?? "unknown")",
            ])
            let services: [ServiceGroupConfiguration.ServiceConfiguration] =
                [.init(service: agent.supervisor(notifications: notifications), successTerminationBehavior: .gracefullyShutdownGroup)]
                + agent.archiveServices().map { .init(service: $0) }
                // The console ending (it could not listen) must not stop the backups.
                + (console.enabled ? [.init(service: ConsoleService(settings: console, runtime: agent, logger: agent.logger, notifications: notifications),
                                            successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)] : [])
            var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: agent.logger)
            configuration.maximumGracefulShutdownDuration = .seconds(30)
            try await ServiceGroup(configuration: configuration).run()
        }
    }
}
