import Backups
import Foundation

/// `/search?project=TEXT[&page=N]`: the projects whose name contains TEXT, each library's
/// project once with its backups collapsed (how many, the newest with its restore link and a short
/// list of the next ones, the oldest), ``perPage`` projects a page, exact names first.
/// `/search?project=NAME&db=LIBRARY&folder=FOLDER[&page=N]`: every backup of that one project.
/// From the manifests through ``CatalogIndex`` (no server is asked).
struct SearchPage: ConsoleView {
    static let template = "search"
    static let perPage = 50
    /// The newest backup and the short list of the next ones shown under it.
    static let backupsPerHit = 6

    /// A project found in a backup (the page tests build pages from these).
    struct Hit: Sendable {
        let backup: StoredBackup
        let project: ResolveProject
    }

    struct BackupRow: Sendable {
        let taken: String
        let saved: String
        let fileQuery: String
    }

    struct ProjectRow: Sendable {
        let project: String
        let folder: String
        let database: String
        /// "3 backups": how many hold it.
        let backupsText: String
        let newestTaken: String
        let newestSaved: String
        let oldestTaken: String
        /// The newest backup, as a query value for its restore link.
        let fileQuery: String
        /// The next newest backups (the short list), and the link to all of them when there are more.
        let older: [BackupRow]
        let hasOlder: Bool
        let olderSummary: String
        let allLink: String?
        /// The restore of this library as it was at a moment, prefilled with the project's saved times.
        let restoreAtLink: String
    }

    let query: String
    /// A search that found nothing (not an empty one, which shows the form alone).
    let nothingFound: Bool
    let summary: String?
    /// How many projects match and which are shown.
    let shown: String?
    let projects: [ProjectRow]
    let hasHits: Bool
    /// One project's backups (`db=` given): what they are, and the rows.
    let projectTitle: String?
    let backups: [BackupRow]
    let hasBackups: Bool
    /// Links to the previous and next page, and where this page is.
    let previous: String?
    let next: String?
    let pageText: String?

    /// A search's page.
    init(query: String, found: ProjectSearchPage, zone: TimeZone) {
        self.query = query
        nothingFound = !query.isEmpty && found.hits.isEmpty
        summary = found.hits.isEmpty ? nil : Self.plural(found.backupCount, "backup holds", "backups hold") + " a matching project."
        let last = found.offset + found.hits.count
        shown = found.hits.isEmpty ? nil : Self.plural(found.projectCount, "project matches", "projects match")
            + (found.pageCount > 1 ? "; \(found.offset + 1)–\(last) shown." : ".")
        projects = found.hits.map { Self.row($0, zone: zone) }
        hasHits = !found.hits.isEmpty
        projectTitle = nil
        backups = []
        hasBackups = false
        let link = { (page: Int) in "/search?project=\(PageFormat.query(query))&page=\(page)" }
        previous = found.page > 1 ? link(found.page - 1) : nil
        next = found.page < found.pageCount ? link(found.page + 1) : nil
        pageText = found.pageCount > 1 ? "Page \(found.page) of \(found.pageCount)" : nil
    }

    /// One project's backups, a page of them (``ProjectGroups/project(database:name:folder:page:perPage:)``).
    init(project name: String, folder: String, database: String, found: ProjectSearchPage, zone: TimeZone) {
        query = name
        let hit = found.hits.first
        nothingFound = hit == nil
        projectTitle = "“\(name)” in /\(folder) of \(database)"
        summary = hit.map { Self.plural($0.backupCount, "backup holds", "backups hold") + " it, newest first." }
        shown = nil
        projects = []
        hasHits = false
        backups = (hit?.backups ?? []).map { Self.backupRow($0, zone: zone) }
        hasBackups = !backups.isEmpty
        let link = { (page: Int) in
            "/search?project=\(PageFormat.query(name))&db=\(PageFormat.query(database))&folder=\(PageFormat.query(folder))&page=\(page)"
        }
        previous = found.page > 1 ? link(found.page - 1) : nil
        next = found.page < found.pageCount ? link(found.page + 1) : nil
        pageText = found.pageCount > 1 ? "Page \(found.page) of \(found.pageCount)" : nil
    }

    /// The page of hits already found (the page tests'), grouped as a search groups them.
    init(query: String, hits: [Hit], zone: TimeZone) {
        var catalogs: [String: (backup: CatalogBackup, projects: [ResolveProject])] = [:]
        for hit in hits {
            let backup = CatalogBackup(database: hit.backup.database, relativePath: hit.backup.relativePath, time: hit.backup.time)
            catalogs[backup.relativePath, default: (backup, [])].projects.append(hit.project)
        }
        let found = ProjectGroups(catalogs: Array(catalogs.values))
            .search(ProjectMatcher(query), page: 1, perPage: Self.perPage, backupsPerHit: Self.backupsPerHit)
        self.init(query: query, found: found, zone: zone)
    }

    private static func row(_ hit: ProjectHit, zone: TimeZone) -> ProjectRow {
        let newest = hit.backups[0]
        let older = hit.backups.dropFirst().map { backupRow($0, zone: zone) }
        let more = hit.backupCount > hit.backups.count
        let all = "/search?project=\(PageFormat.query(hit.name))&db=\(PageFormat.query(hit.database))&folder=\(PageFormat.query(hit.folder))"
        return ProjectRow(project: hit.name, folder: hit.folder, database: hit.database, backupsText: plural(hit.backupCount, "backup", "backups"),
                          newestTaken: PageFormat.time(newest.backup.time, zone: zone), newestSaved: PageFormat.time(newest.saved, zone: zone),
                          oldestTaken: PageFormat.time(hit.oldest.backup.time, zone: zone), fileQuery: PageFormat.query(newest.backup.relativePath),
                          older: older, hasOlder: !older.isEmpty,
                          olderSummary: more ? "The next \(older.count) of \(hit.backupCount - 1) older backups" : plural(older.count, "older backup", "older backups"),
                          allLink: more ? all : nil,
                          restoreAtLink: "/restore-at?db=\(PageFormat.query(hit.database))&project=\(PageFormat.query(hit.name))")
    }

    private static func backupRow(_ backup: ProjectBackup, zone: TimeZone) -> BackupRow {
        BackupRow(taken: PageFormat.time(backup.backup.time, zone: zone), saved: PageFormat.time(backup.saved, zone: zone),
                  fileQuery: PageFormat.query(backup.backup.relativePath))
    }

    /// "1 backup", "3 backups".
    private static func plural(_ count: Int, _ one: String, _ many: String) -> String {
        "\(count) \(count == 1 ? one : many)"
    }
}
