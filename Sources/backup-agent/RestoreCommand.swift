import ArgumentParser
import Foundation
import Shared

/// `backup-agent restore FILE --as NEWDB`: restore into a NEW database, never over one.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore into a NEW database (never over one).")

    @Argument(help: "The backup file (path, path under BACKUP_DIR, or file name; see `backup-agent list`).")
    var file: String

    @Option(name: .customLong("as"), help: "Name of the new database; it must not exist.")
    var newDatabase: String

    @Option(help: "Server to restore to (default: PRIMARY_HOST).")
    var host: String?

    @Option(help: "Port of that server (default: PRIMARY_PORT).")
    var port: Int?

    func run() async throws {
        try await runReporting {
            let agent = try AgentContext.load()
            let backup = try StoredBackup.find(file, in: agent.layout)
            let job = agent.restoreJob(host: host, port: port)
            let target = job.target
            let name = newDatabase
            try await TerminationSignals.cancelling(outcome: "during the restore", reportingFailure: true) {
                try await job.run(backup, as: name)
            }
            print("""
                Restored \(backup.file) as the new database "\(newDatabase)" on \(target.host):\(target.port).
                To open it in DaVinci Resolve: Project Manager → Project Libraries → Add Project Library →
                Connect, then enter the server \(target.host), the user \(target.user) and the database name "\(newDatabase)".
                Copy the projects you need back into your working library (export/import .drp), then remove
                the restored library from the Project Manager.
                """)
        }
    }
}
