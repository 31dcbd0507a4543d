import Agent
import ArgumentParser
import Foundation
import LaterbaseCore
import Restore

/// `backup-agent rebuild-local`: refill BACKUP_DIR from the remote after a disk replacement.
struct RebuildLocalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rebuild-local",
                                                    abstract: "Refill BACKUP_DIR from the remote (dumps, base backups, WAL) after a disk replacement.")

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load()
            let outcome = try await TerminationSignals.cancelling(outcome: "during the rebuild; run it again to fetch the rest", reportingFailure: true) {
                try await agent.rebuildLocal()
            }
            print(outcome.summary)
        }
    }
}
