import Backups
import Foundation

/// `/search?project=TEXT`: which backups hold a project whose name contains TEXT, and when it
/// was last saved in each, from the manifests (no server is asked).
struct SearchPage: ConsoleView {
    static let template = "search"

    struct Hit: Sendable {
        let backup: StoredBackup
        let project: ResolveProject
    }

    struct Row: Sendable {
        let project: String
        let folder: String
        let saved: String
        let database: String
        let taken: String
        let fileQuery: String
    }

    let query: String
    /// A search that found nothing (not an empty one, which shows the form alone).
    let nothingFound: Bool
    let summary: String?
    let hits: [Row]
    let hasHits: Bool

    /// Every project in `backups` that ``ProjectMatcher`` finds for `text` (the one matcher of
    /// every search: the name contains it in any case, exact names first).
    static func find(_ text: String, in backups: [StoredBackup]) -> [Hit] {
        let all = backups.flatMap { backup in (backup.manifest?.resolve.projects ?? []).map { Hit(backup: backup, project: $0) } }
        return ProjectMatcher(text).select(all) { $0.project.name }
    }

    init(query: String, hits: [Hit], zone: TimeZone) {
        self.query = query
        nothingFound = !query.isEmpty && hits.isEmpty
        summary = hits.isEmpty ? nil : hits.count == 1 ? "1 backup holds a matching project." : "\(hits.count) backups hold a matching project."
        self.hits = hits.map { hit in
            Row(project: hit.project.name, folder: hit.project.folder, saved: PageFormat.time(hit.project.lastModified, zone: zone),
                database: hit.backup.database, taken: PageFormat.time(hit.backup.time, zone: zone), fileQuery: PageFormat.query(hit.backup.relativePath))
        }
        hasHits = !hits.isEmpty
    }
}
