import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// `backup-agent`: scheduled, verified logical backups of every Resolve library.
@main
struct BackupAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-agent",
        abstract: "Scheduled gzip backups of every DaVinci Resolve library, with retention, offsite copies and restore.",
        discussion: "Configuration comes from environment variables only; see the README.",
        subcommands: [SupervisorCommand.self, BackupCommand.self, HealthcheckCommand.self, ListCommand.self, VerifyCommand.self,
                      RestoreCommand.self, PruneCommand.self, NotifyTestCommand.self, RebuildLocalCommand.self, DrillCommand.self, ExportCommand.self],
        defaultSubcommand: SupervisorCommand.self
    )
}

/// Reads the environment, sets up logging and builds the agent's pieces; a configuration problem
/// is one line and exit status 78.
enum AgentContext {
    /// - Parameter logging: false for commands whose standard output is their answer (`list`,
    ///   `verify`, `prune --dry-run`): log lines then go to standard error.
    static func load(logging: Bool = true) throws -> AgentRuntime {
        // A child that exits while we write to it (psql on an error) must be an error, not SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let env = EnvironmentReader()
        let settings = try BackupSettings(environment: env)
        let archive = try ArchiveSettings(environment: env)
        let schedule = try ScheduleSettings(settings: settings, environment: env)
        LoggingSetup.bootstrap(settings.log, toStandardError: !logging)
        return AgentRuntime(settings: settings, archive: archive, schedule: schedule, logger: Logger(label: "backup-agent"))
    }
}
