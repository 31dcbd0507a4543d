import Agent
import ArgumentParser
import Backups
import LaterbaseCore

/// `backup-agent backup [--db NAME]`: one pass now, then exit (1 when any database failed).
///
/// SIGTERM or SIGINT (Ctrl-C, `docker stop`) stops the pass as in `run`: pg_dump is stopped and
/// its partial file removed, backups already finished are kept, retention does not run; then it
/// exits 1 with one line saying so (not 143: the clean-up has happened).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "One backup pass now (then offsite copies and retention), then exit.")

    @Option(help: "Back up only this database.")
    var db: String?

    /// The end of the line printed when a signal stopped the pass.
    static let interrupted = "during the backup pass; pg_dump was stopped and its unfinished file removed, backups finished before the signal are kept"

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load()
            let pass = try await TerminationSignals.cancelling(outcome: Self.interrupted) { [db] in
                try await agent.backUp(only: db, lockTimeout: .seconds(2))
            }
            if !pass.failed.isEmpty {
                throw CommandFailure("backup failed for \(pass.failed.keys.sorted().joined(separator: ", ")): \(pass.failed.values.sorted().first ?? "")")
            }
        }
    }
}
