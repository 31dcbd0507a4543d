import ArgumentParser
import Foundation
import Shared

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

/// Runs a command body, turning its errors into one line on stderr and the exit statuses of DESIGN.md.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        throw ExitCode(CommandErrors.report(error))
    }
}

/// Reads the standby's settings; a problem is a one-line error with exit status 78.
func loadSettings() throws -> StandbySettings {
    let settings = try StandbySettings(environment: EnvironmentReader())
    LoggingSetup.bootstrap(settings.log)
    return settings
}
