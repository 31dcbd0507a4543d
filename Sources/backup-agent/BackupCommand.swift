import ArgumentParser
import Shared

/// `backup-agent backup [--db NAME]`: one pass now, then exit (1 when any database failed).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "One backup pass now (then offsite copies and retention), then exit.")

    @Option(help: "Back up only this database.")
    var db: String?

    func run() async throws {
        try await runReporting {
            let context = try AgentContext.load()
            let pass = try await BackupPass(settings: context.settings, logger: context.logger).run(only: db)
            await AfterPass(settings: context.settings, zone: context.schedule.zone, logger: context.logger).run(pass)
            if !pass.failed.isEmpty {
                throw CommandFailure("backup failed for \(pass.failed.keys.sorted().joined(separator: ", ")): \(pass.failed.values.sorted().first ?? "")")
            }
        }
    }
}
