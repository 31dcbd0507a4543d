import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore
import Restore

/// `backup-agent export --db NAME (--backup FILE | --at TIME | --live) --out PATH`: a library as
/// a Resolve-restorable `.backup` (pg_dump -Fc of the server's major version) with its SHA-256.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
                                                    abstract: "A library as a .backup file that Resolve's Project Manager restores (pg_dump -Fc).")

    @Option(help: "The library (database) to export.")
    var db: String

    @Option(help: "From this backup (path, path under BACKUP_DIR, or file name); the Resolve server is not touched.")
    var backup: String?

    @Option(help: "As it was at this moment, from the WAL archive (e.g. \"2026-11-24 14:34:59\", in TZ); the Resolve server is not touched.")
    var at: String?

    @Flag(help: "The live library as it is now (read from the Resolve server).")
    var live = false

    @Option(help: "An existing folder (the file is named <library>_<YYYYMMDD_HHMMSS>.backup) or a path ending in .backup.")
    var out: String

    func validate() throws {
        if [backup != nil, at != nil, live].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --backup FILE, --at TIME or --live")
        }
    }

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load()
            let source: LibraryExport.Source
            if let backup {
                let stored = try StoredBackup.find(backup, in: agent.layout)
                guard stored.database == db else {
                    throw CommandFailure("\(stored.file) is a backup of \(stored.database), not of \(db); give --db \(stored.database) or another backup", exitCode: .usage)
                }
                source = .backup(stored)
            } else if let at {
                source = .at(try RestoreCommand.parseTime(at, zone: agent.zone))
            } else {
                source = .live
            }
            let exported = try await TerminationSignals.cancelling(outcome: "during the export; nothing was left behind", reportingFailure: true) {
                try await agent.export(db, source: source, out: out)
            }
            print(exported.report)
        }
    }
}
