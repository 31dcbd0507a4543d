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
                let plan = await agent.prunePlan()
                plan.forEach { print(TerminalText.escaped($0.text)) }
                print("\(plan.filter { $0.keptBy.isEmpty }.count) of \(plan.count) backups would be removed")
            } else {
                let outcome = try await agent.prune()
                for line in outcome.damaged {
                    print(TerminalText.escaped("damaged  \(line.backup.relativePath)  \(line.damage ?? ""); kept, not counted by retention"))
                }
                for name in outcome.foreign { print(TerminalText.escaped("left     \(name)  not made by Laterbase; never deleted by it")) }
                print("removed \(outcome.removed.count) backup(s)" + (outcome.damaged.isEmpty ? "" : "; \(outcome.damaged.count) damaged backup(s) kept"))
            }
        }
    }
}
