import Backups
import Foundation

/// `/backups?db=NAME`: a library's backups, newest first, each with verify and restore.
struct BackupsPage: ConsoleView {
    static let template = "backups"

    struct Row: Sendable {
        let taken: String
        let file: String
        /// The backup whose data this one repeats (`unchanged_from` of its manifest).
        let unchangedSince: String?
        let size: String
        let projects: String
        let offsite: String
        /// `folder/file`, as a form sends it back, and as a query value for the restore link.
        let relativePath: String
        let fileQuery: String
    }

    let database: String
    let backups: [Row]
    let hasBackups: Bool
    /// The restore of this library as it was at a moment (the undo window).
    let restoreAtLink: String

    /// - Parameter uploaded: whether a backup has its offsite copy; nil when copies are off.
    init(database: String, backups: [StoredBackup], uploaded: (StoredBackup) -> Bool?, zone: TimeZone) {
        self.database = database
        self.backups = backups.map { backup in
            Row(taken: PageFormat.time(backup.time, zone: zone), file: backup.file, unchangedSince: backup.manifest?.unchangedFrom,
                size: PageFormat.bytes(backup.size), projects: backup.manifest.map { String($0.resolve.projects.count) } ?? "no manifest",
                offsite: uploaded(backup).map { $0 ? "copied" : "local only" } ?? "off",
                relativePath: backup.relativePath, fileQuery: PageFormat.query(backup.relativePath))
        }
        hasBackups = !backups.isEmpty
        restoreAtLink = "/restore-at?db=" + PageFormat.query(database)
    }
}
