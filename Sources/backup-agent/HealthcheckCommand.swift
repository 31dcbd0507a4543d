import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore

/// `backup-agent healthcheck`: exit 0 / 1 from the last pass, the backup age and (with the WAL
/// archive) the undo window, one line why.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "healthcheck", abstract: "Exit 0 / 1 from the last pass and the backup age.")

    func run() async throws {
        try await CommandErrors.reporting {
            let verdict = try await AgentContext.load().healthWithUndoWindow()
            print(TerminalText.escaped(verdict.message))
            if !verdict.healthy { throw ExitCode(1) }
        }
    }
}
