import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore
import Restore
import UndoWindow

/// `backup-agent list [--json] [--project NAME]`: backups newest first per database.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Backups, newest first; which hold a Resolve project.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Only backups holding a project whose name contains this (any case; exact names first), with its last-modified time in each.")
    var project: String?

    @Flag(help: "The remote's backups and undo window, read from the rclone remote alone.")
    var offsite = false

    @Option(help: "With --project: the project as it was at this moment, from the WAL archive (e.g. \"2026-11-24 14:34:59\", in TZ).")
    var at: String?

    func validate() throws {
        if at != nil && (project == nil || json) { throw ValidationError("--at goes with --project NAME (and not with --json)") }
        if offsite && (project != nil || at != nil) { throw ValidationError("--offsite lists the remote's backups; it does not go with --project or --at") }
    }

    func run() async throws {
        if offsite { return try await OffsiteListing.print(json: json) }
        if let at, let project { return try await listAt(at, project: project) }
        try await CommandErrors.reporting {
            let agent = try AgentContext.load(logging: false)
            let layout = agent.layout
            let ledger = UploadLedger.load(layout)
            let offsite = agent.remote != nil
            let rows = BackupListing.rows(StoredBackup.all(in: layout), ledger: ledger, project: project, verified: VerificationCache.load(layout))
            if json {
                print(try BackupListing.json(rows, offsite: offsite))
            } else if rows.isEmpty {
                print(TerminalText.escaped(project.map { "no backup holds a project named \"\($0)\"" } ?? "no backups in \(layout.root) yet"))
            } else {
                print(BackupListing.table(rows, offsite: offsite, project: project))
            }
            if !json && project == nil, let undo = agent.undoWindowListing() { print("\n" + undo) }
            if !json && project == nil, let unfinished = await Self.unfinishedRestores(agent) { print("\n" + unfinished) }
        }
    }

    /// The databases of restores that are running or were killed (``UnfinishedRestore``), or nil
    /// when there are none or the Resolve server does not answer within 3 s (the list itself
    /// needs only `BACKUP_DIR`).
    private static func unfinishedRestores(_ agent: AgentRuntime) async -> String? {
        var server = agent.restoreTarget().server
        server.connectTimeoutSeconds = 3
        guard let found = try? await RestoreTarget(server: server, logger: agent.logger).unfinishedRestores(), !found.isEmpty else { return nil }
        return "unfinished restores on \(server.host):\(server.port):\n" + found.map { "  " + TerminalText.escaped($0.summary) }.joined(separator: "\n")
    }

    /// `list --project NAME --at TIME`: the project's folder and last-saved time at that moment.
    private func listAt(_ at: String, project: String) async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load(logging: false)
            let time = try RestoreCommand.parseTime(at, zone: agent.zone)
            let lookup = agent.pointInTimeRestore()
            let found = try await TerminationSignals.cancelling(outcome: "while reading the archive; the scratch server was removed", reportingFailure: true) {
                try await lookup.projects(named: project, at: time).map { "\($0.library): \"\($0.project.name)\" in /\($0.project.folder) saved \($0.project.lastModified.map(UndoWindow.text) ?? "unknown")" }
            }
            print(found.isEmpty ? TerminalText.escaped("no project named \"\(project)\" at \(UndoWindow.text(time))")
                  : "at \(UndoWindow.text(time)):\n" + found.map { "  " + TerminalText.escaped($0) }.joined(separator: "\n"))
        }
    }
}
