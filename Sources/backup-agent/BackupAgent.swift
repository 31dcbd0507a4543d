import ArgumentParser
import Foundation
import Shared

/// `backup-agent`: scheduled, verified logical backups of every Resolve library.
@main
struct BackupAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-agent",
        abstract: "Scheduled gzip backups of every DaVinci Resolve library, with retention, offsite copies and restore.",
        discussion: "Configuration comes from environment variables only; see the README.",
        subcommands: [SupervisorCommand.self],
        defaultSubcommand: SupervisorCommand.self
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

/// Reads the agent's settings; a problem is a one-line error with exit status 78.
func loadSettings() throws -> BackupSettings {
    let settings = try BackupSettings(environment: EnvironmentReader())
    LoggingSetup.bootstrap(settings.log)
    return settings
}
