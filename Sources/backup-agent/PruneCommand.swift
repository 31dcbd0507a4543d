import ArgumentParser
import Foundation
import Shared

/// `backup-agent prune [--dry-run]`: apply retention now.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Apply retention now.")

    @Flag(help: "Only list each file with the rule that keeps it or why it would go.")
    var dryRun = false

    func run() async throws {
        try await runReporting {
            let context = try AgentContext.load(logging: !dryRun)
            let layout = BackupLayout(root: context.settings.backupDirectory)
            let pruner = Pruner(layout: layout, policy: RetentionPolicy(settings: context.settings), zone: context.schedule.zone,
                                remote: RcloneRemote(settings: context.settings), logger: context.logger)
            if dryRun {
                let plan = pruner.plan()
                plan.forEach { print($0.text) }
                print("\(plan.filter { $0.keptBy.isEmpty }.count) of \(plan.count) backups would be removed")
                return
            }
            let lock = try await DirectoryLock.acquire(layout.lockFile, folder: layout.root, timeout: .seconds(2))
            defer { lock.release() }
            if let failed = (try? AgentState.load(from: layout.stateFile))?.lastPass?.failed, !failed.isEmpty {
                throw CommandFailure("the last backup pass failed for \(failed.keys.sorted().joined(separator: ", ")); nothing is pruned until a pass succeeds")
            }
            let removed = await pruner.apply()
            print("removed \(removed.count) backup(s)")
        }
    }
}
