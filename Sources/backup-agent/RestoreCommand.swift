import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore
import Restore
import UndoWindow

/// `backup-agent restore FILE --as NEWDB`: restore into a NEW database, never over one.
/// `backup-agent restore --db NAME --at TIME --as NEWDB`: one library as it was at TIME, from the WAL archive.
/// `backup-agent restore --from-offsite (FILE | --db NAME [--at TIME]) --as NEWDB`: the same from the remote alone.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore into a NEW database (never over one).")

    @Argument(help: "The backup file (path, path under BACKUP_DIR, or file name; see `backup-agent list`).")
    var file: String?

    @Option(help: "With --at: the library to restore from the WAL archive (with --from-offsite alone: its newest backup on the remote).")
    var db: String?

    @Flag(name: .customLong("from-offsite"), help: "Fetch what the restore needs from the rclone remote (for an empty or lost BACKUP_DIR).")
    var fromOffsite = false

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
        if file == nil && db == nil { throw ValidationError("give a backup FILE, or --db NAME and --at TIME") }
        if file == nil && at == nil && !fromOffsite { throw ValidationError("give a backup FILE, or --db NAME and --at TIME") }
    }

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load()
            let restored: RestoredLibrary
            if fromOffsite {
                let time = try at.map { try Self.parseTime($0, zone: agent.zone) }
                restored = try await TerminationSignals.cancelling(outcome: "during the restore from the remote; what was fetched stays for the next try", reportingFailure: true) {
                    try await agent.restoreFromOffsite(file, database: db, at: time, as: newDatabase, host: host, port: port)
                }
            } else if let file {
                let backup = try StoredBackup.find(file, in: agent.layout)
                restored = try await TerminationSignals.cancelling(outcome: "during the restore", reportingFailure: true) {
                    try await agent.restore(backup, as: newDatabase, host: host, port: port)
                }
            } else if let db, let at {
                let time = try Self.parseTime(at, zone: agent.zone)
                restored = try await TerminationSignals.cancelling(outcome: "during the restore; the scratch server was removed", reportingFailure: true) {
                    try await agent.restore(database: db, at: time, as: newDatabase, host: host, port: port)
                }
            } else {
                return
            }
            print(restored.report)
        }
    }
}
