import ArgumentParser
import Foundation
import LaterbaseCore
import Logging
import Standby

/// `standby-entrypoint`: prepares a hot standby of the Resolve server, then execs postgres.
@main
struct StandbyEntrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "standby-entrypoint",
        abstract: "A hot standby of the DaVinci Resolve PostgreSQL server.",
        discussion: "Configuration comes from environment variables only; see the README.",
        subcommands: [RunCommand.self, HealthcheckCommand.self, StatusCommand.self, CheckPrimaryCommand.self, PromoteCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// Reads the standby's settings; a problem is a one-line error with exit status 78.
/// `logging: false` sends log events to standard error (commands whose standard output is
/// their answer: healthcheck, status, promote).
func loadSettings(logging: Bool = true) throws -> StandbySettings {
    let settings = try StandbySettings(environment: EnvironmentReader())
    if logging {
        LoggingSetup.bootstrap(settings.log)
    } else {
        LoggingSystem.bootstrap { LineLogHandler(label: $0, settings: settings.log, descriptor: STDERR_FILENO) }
    }
    return settings
}
