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
            let agent = try AgentContext.load()
            agent.logger.info("backup-agent started", metadata: [
                "schedule": "\(agent.settings.schedule)", "tz": "\(agent.zone.identifier)",
                "backup_dir": "\(agent.settings.backupDirectory)", LogKey.host: "\(agent.settings.source.host):\(agent.settings.source.port)",
            ])
            var configuration = ServiceGroupConfiguration(
                services: [.init(service: agent.supervisor(), successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: agent.logger)
            configuration.maximumGracefulShutdownDuration = .seconds(30)
            try await ServiceGroup(configuration: configuration).run()
        }
    }
}
