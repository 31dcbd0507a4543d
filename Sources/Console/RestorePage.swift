import Backups
import Foundation
import LaterbaseCore

/// `/restore?file=…`: the form that restores a backup as a NEW library, and the same form again
/// with the reason when a start was refused.
struct RestorePage: ConsoleView {
    static let template = "restore"

    let problem: String?
    let database: String
    let taken: String
    let size: String
    let projectCount: Int
    /// The first 20 project names, by name; nil without any.
    let projectNames: String?
    let relativePath: String
    let suggested: String
    /// `host:port` of the server the restore writes to.
    let target: String

    init(_ backup: StoredBackup, suggested: String, problem: String?, target: String, zone: TimeZone) {
        let projects = backup.manifest?.resolve.projects.map(\.name).sorted() ?? []
        self.problem = problem
        database = backup.database
        taken = PageFormat.time(backup.time, zone: zone)
        size = PageFormat.bytes(backup.size)
        projectCount = projects.count
        projectNames = projects.isEmpty ? nil : projects.prefix(20).joined(separator: ", ") + (projects.count > 20 ? ", …" : "")
        relativePath = backup.relativePath
        self.suggested = suggested
        self.target = target
    }

    /// `Demo Library restored 20261124_1434`: a name that tells what it is, under 63 bytes.
    static func suggestedName(_ backup: StoredBackup) -> String {
        PageFormat.libraryName(backup.database, " restored " + UTCFormat.formatter("yyyyMMdd_HHmm").string(from: backup.time))
    }
}
