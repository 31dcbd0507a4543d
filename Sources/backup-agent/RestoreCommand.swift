import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore
import Restore
import UndoWindow

/// `backup-agent restore FILE --as NEWDB`: restore into a NEW database, never over one.
/// `backup-agent restore --db NAME --at TIME --as NEWDB`: one library as it was at TIME, from the WAL archive.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore into a NEW database (never over one).")

    @Argument(help: "The backup file (path, path under BACKUP_DIR, or file name; see `backup-agent list`).")
    var file: String?

    @Option(help: "With --at: the library to restore from the WAL archive.")
    var db: String?

    @Option(help: "With --db: the moment, e.g. \"2026-11-24 14:34:59\" (in TZ; or with Z / +01:00).")
    var at: String?

    @Option(name: .customLong("as"), help: "Name of the new database; it must not exist.")
    var newDatabase: String

    @Option(help: "Server to restore to (default: PRIMARY_HOST).")
    var host: String?

    @Option(help: "Port of that server (default: PRIMARY_PORT).")
    var port: Int?

    /// TIME of `--at` (restore and list), or the usage error (exit 64) that says how to write it.
    static func parseTime(_ text: String, zone: TimeZone) throws -> Date {
        guard let time = RestoreTime.parse(text, zone: zone) else {
            throw CommandFailure("--at \"\(text)\" is not a time; write it like \"2026-11-24 14:34:59\" (in TZ \(zone.identifier)) or add Z / +01:00",
                                 exitCode: .usage)
        }
        return time
    }

    func validate() throws {
        if file != nil && (db != nil || at != nil) { throw ValidationError("give either FILE or --db NAME --at TIME, not both") }
        if file == nil && (db == nil || at == nil) { throw ValidationError("give a backup FILE, or --db NAME and --at TIME") }
    }

    func run() async throws {
        try await runReporting {
            let agent = try AgentContext.load()
            let name = newDatabase
            let source: String
            let target: ConnectionParameters
            if let file {
                let backup = try StoredBackup.find(file, in: agent.layout)
                let job = agent.restoreJob(host: host, port: port)
                target = job.target
                try await TerminationSignals.cancelling(outcome: "during the restore", reportingFailure: true) {
                    try await job.run(backup, as: name)
                }
                source = backup.file
            } else if let db, let at {
                let time = try Self.parseTime(at, zone: agent.zone)
                let restore = agent.pointInTimeRestore(host: host, port: port)
                target = restore.job.target
                try await TerminationSignals.cancelling(outcome: "during the restore; the scratch server was removed", reportingFailure: true) {
                    try await restore.run(database: db, at: time, as: name)
                }
                source = "\(db) as it was at \(UndoWindow.text(time))"
            } else {
                return
            }
            print("""
                Restored \(source) as the new database "\(newDatabase)" on \(target.host):\(target.port).
                To open it in DaVinci Resolve: Project Manager → Project Libraries → Add Project Library →
                Connect, then enter the server \(target.host), the user \(target.user) and the database name "\(newDatabase)".
                Copy the projects you need back into your working library (export/import .drp), then remove
                the restored library from the Project Manager.
                """)
        }
    }
}
