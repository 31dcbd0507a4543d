import Foundation

/// A backup as a project search shows it: which library, which file, taken when.
public struct CatalogBackup: Sendable, Equatable {
    public let database: String
    /// `folder/file` of the `.sql.gz` under `BACKUP_DIR` (what `/restore?file=` takes).
    public let relativePath: String
    /// The time in the file name (UTC).
    public let time: Date

    public init(database: String, relativePath: String, time: Date) {
        self.database = database
        self.relativePath = relativePath
        self.time = time
    }
}

/// One project of one library found by a search: its backups collapsed, newest first.
public struct ProjectHit: Sendable {
    public let database: String
    public let name: String
    /// The folder path in the Project Manager ("" for the root).
    public let folder: String
    /// How many backups hold it.
    public let backupCount: Int
    /// Its backups shown, newest first: a search's hit shows its newest ones (the first is the
    /// newest of all), one project's page the page's.
    public let backups: [ProjectBackup]
    /// Its oldest backup.
    public let oldest: ProjectBackup
}

/// A project in one backup: the backup, and when the project was last saved in it.
public struct ProjectBackup: Sendable {
    public let backup: CatalogBackup
    public let saved: Date?
}

/// One page of a search: which projects match (each library's project once), and how many.
public struct ProjectSearchPage: Sendable {
    /// Projects that match, over all pages.
    public let projectCount: Int
    /// Backups that hold at least one of them.
    public let backupCount: Int
    /// The page shown (from 1; a page past the end shows the last) and how many there are.
    public let page: Int
    public let pageCount: Int
    /// Index of the first hit of this page among all hits (from 0); for one project's backups,
    /// of its first backup shown.
    public let offset: Int
    public let hits: [ProjectHit]
}

/// The projects of a set of catalogs grouped per library and project (name and folder), each
/// with the backups that hold it, newest first; groups in a fixed order (name in any case, then
/// name, folder, library), so pages are stable. Immutable; ``CatalogIndex`` builds one whenever
/// the manifests change, and a search reads it without touching the disk.
public struct ProjectGroups: Sendable {
    /// A project's backup: an index into ``backups`` and the last-saved time (NaN: unknown).
    struct Occurrence: Sendable {
        let backup: Int32
        let saved: Double
    }

    struct Group: Sendable {
        let database: String
        let name: String
        let folder: String
        /// Newest backup first.
        var occurrences: [Occurrence]
    }

    /// Every backup that has a catalog: libraries by name, newest first in each.
    let backups: [CatalogBackup]
    let groups: [Group]

    /// Groups the catalogs (a backup and its projects each); pure, used by the tests as is.
    public init(catalogs: [(backup: CatalogBackup, projects: [ResolveProject])]) {
        var interner = ProjectKeys()
        let files = catalogs.map { catalog in
            CatalogIndex.Catalog(database: catalog.backup.database, relativePath: catalog.backup.relativePath, time: catalog.backup.time,
                                 entries: catalog.projects.map { interner.entry($0) })
        }
        self.init(files: files, keys: interner)
    }

    init(files unsorted: [CatalogIndex.Catalog], keys: ProjectKeys) {
        let files = unsorted.sorted { ($0.database, $1.time, $0.relativePath) < ($1.database, $0.time, $1.relativePath) }
        backups = files.map { CatalogBackup(database: $0.database, relativePath: $0.relativePath, time: $0.time) }
        struct GroupKey: Hashable { let database: String; let key: Int32 }
        var index: [GroupKey: Int] = [:]
        var groups: [Group] = []
        for (number, file) in files.enumerated() {
            let backup = Int32(number)
            for entry in file.entries {
                let groupKey = GroupKey(database: file.database, key: entry.key)
                if let at = index[groupKey] {
                    // The same name twice in one folder of one backup: the backup counts once.
                    if groups[at].occurrences.last?.backup != backup { groups[at].occurrences.append(Occurrence(backup: backup, saved: entry.saved)) }
                } else {
                    let key = keys.key(entry.key)
                    index[groupKey] = groups.count
                    groups.append(Group(database: file.database, name: key.name, folder: key.folder, occurrences: [Occurrence(backup: backup, saved: entry.saved)]))
                }
            }
        }
        let order = groups.map { ($0.name.lowercased(), $0.name, $0.folder, $0.database) }
        self.groups = groups.indices.sorted { order[$0] < order[$1] }.map { groups[$0] }
    }

    /// The projects ``ProjectMatcher`` finds for `matcher` (exact names first, otherwise in the
    /// groups' order), `perPage` of them from page `page`, each with up to `backupsPerHit` of its
    /// newest backups. Only the page's hits are materialized.
    public func search(_ matcher: ProjectMatcher, page: Int, perPage: Int, backupsPerHit: Int) -> ProjectSearchPage {
        var exact: [Int32] = []
        var others: [Int32] = []
        for (number, group) in groups.enumerated() where matcher.matches(group.name) {
            if matcher.isExact(group.name) { exact.append(Int32(number)) } else { others.append(Int32(number)) }
        }
        var holding = [Bool](repeating: false, count: backups.count)
        for number in exact + others {
            for occurrence in groups[Int(number)].occurrences { holding[Int(occurrence.backup)] = true }
        }
        return self.page(of: exact + others, page: page, perPage: perPage, backupsPerHit: backupsPerHit,
                    backupCount: holding.lazy.filter { $0 }.count)
    }

    /// The project named exactly `name` in `folder` of `database` with its backups, newest
    /// first, `perPage` of them from page `page` (pages count backups here); no hit when no
    /// backup holds it.
    public func project(database: String, name: String, folder: String, page asked: Int, perPage: Int) -> ProjectSearchPage {
        guard let group = groups.first(where: { $0.database == database && $0.name == name && $0.folder == folder }) else {
            return ProjectSearchPage(projectCount: 0, backupCount: 0, page: 1, pageCount: 1, offset: 0, hits: [])
        }
        let perPage = max(1, perPage)
        let pageCount = (group.occurrences.count + perPage - 1) / perPage
        let page = min(max(1, asked), pageCount)
        let offset = (page - 1) * perPage
        return ProjectSearchPage(projectCount: 1, backupCount: group.occurrences.count, page: page, pageCount: pageCount, offset: offset,
                                 hits: [hit(group, from: offset, count: perPage)])
    }

    private func page(of found: [Int32], page asked: Int, perPage: Int, backupsPerHit: Int, backupCount: Int) -> ProjectSearchPage {
        let perPage = max(1, perPage)
        let pageCount = max(1, (found.count + perPage - 1) / perPage)
        let page = min(max(1, asked), pageCount)
        let offset = (page - 1) * perPage
        let hits = found[min(offset, found.count)..<min(offset + perPage, found.count)].map {
            hit(groups[Int($0)], from: 0, count: backupsPerHit)
        }
        return ProjectSearchPage(projectCount: found.count, backupCount: backupCount, page: page, pageCount: pageCount, offset: offset, hits: hits)
    }

    private func hit(_ group: Group, from offset: Int, count: Int) -> ProjectHit {
        let occurrences = group.occurrences
        let start = min(max(0, offset), occurrences.count)
        let shown = occurrences[start..<min(start + max(1, count), occurrences.count)].map(projectBackup)
        return ProjectHit(database: group.database, name: group.name, folder: group.folder, backupCount: occurrences.count,
                          backups: shown, oldest: projectBackup(occurrences[occurrences.count - 1]))
    }

    private func projectBackup(_ occurrence: Occurrence) -> ProjectBackup {
        ProjectBackup(backup: backups[Int(occurrence.backup)], saved: occurrence.saved.isNaN ? nil : Date(timeIntervalSince1970: occurrence.saved))
    }
}
