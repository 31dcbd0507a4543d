import ArgumentParser
import Foundation
import Shared

/// `backup-agent list [--json] [--project NAME]`: backups newest first per database.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Backups, newest first; which hold a Resolve project.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Only backups holding a project of this name (case-insensitive), with its last-modified time in each.")
    var project: String?

    func run() async throws {
        try await runReporting {
            let agent = try AgentContext.load(logging: false)
            let layout = agent.layout
            let ledger = UploadLedger.load(layout)
            let offsite = agent.remote != nil
            let rows = BackupListing.rows(StoredBackup.all(in: layout), ledger: ledger, project: project)
            if json {
                print(try BackupListing.json(rows, offsite: offsite))
            } else if rows.isEmpty {
                print(project.map { "no backup holds a project named \"\($0)\"" } ?? "no backups in \(layout.root) yet")
            } else {
                print(BackupListing.table(rows, offsite: offsite, project: project))
            }
            if !json && project == nil, let undo = agent.undoWindowListing() { print("\n" + undo) }
        }
    }
}
