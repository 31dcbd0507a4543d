import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore

/// `backup-agent prune [--dry-run]`: apply retention now.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Apply retention now.")

    @Flag(help: "Only list each file with the rule that keeps it or why it would go.")
    var dryRun = false

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load(logging: !dryRun)
            if dryRun {
                let plan = agent.prunePlan()
                plan.forEach { print($0.text) }
                print("\(plan.filter { $0.keptBy.isEmpty }.count) of \(plan.count) backups would be removed")
            } else {
                print("removed \(try await agent.prune().count) backup(s)")
            }
        }
    }
}
