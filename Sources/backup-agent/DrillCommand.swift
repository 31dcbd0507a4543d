import Agent
import ArgumentParser
import Foundation
import LaterbaseCore
import Restore

/// `backup-agent drill`: restore a random library at a random second from the remote alone into
/// a scratch database, read its Resolve catalog, drop it. Exit 0 when it passed, 1 when not.
struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drill",
                                                    abstract: "Restore a random library/second from the remote alone into a scratch database, check it, drop it.")

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load()
            let record = try await TerminationSignals.cancelling(outcome: "during the drill; its scratch database and files were removed", reportingFailure: true) {
                try await agent.drill()
            }
            guard record.passed else { throw CommandFailure(record.summary) }
            print(record.summary)
        }
    }
}
