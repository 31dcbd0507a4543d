import Foundation
import Synchronization

/// Which backups hold which Resolve project: the catalogs of the manifests in `BACKUP_DIR`,
/// grouped per library and project (``ProjectGroups``), kept in memory between searches.
///
/// Nothing is written and nothing runs in the background: each search lists the backup folders
/// and compares every manifest's ``ManifestStamp`` with the one it was read at. A new or rewritten
/// manifest (a pass) is read, a vanished backup (retention, or someone deleting it) is dropped, and
/// only then are the groups rebuilt; otherwise the last groups answer as they are. So a search
/// never shows a backup that is gone or a catalog older than its manifest, and an idle hour costs
/// nothing. What it keeps is one number per project per backup (a name and folder is stored once),
/// a few MB for 41 backups of 5,000 projects, however long the agent runs.
public final class CatalogIndex: Sendable {
    /// A project in one catalog: its name and folder (a number in ``ProjectKeys``) and when it
    /// was last saved (seconds since 1970; NaN when unknown).
    struct Entry: Sendable {
        var key: Int32
        let saved: Double
    }

    /// One backup's catalog as the index keeps it.
    struct Catalog: Sendable {
        let database: String
        let relativePath: String
        let time: Date
        var entries: [Entry]
    }

    private struct Known: Sendable {
        let stamp: ManifestStamp
        /// Nil when the manifest does not read as one (a backup without a catalog, as for `list`).
        var catalog: Catalog?
    }

    private struct State: Sendable {
        /// By the backup's `folder/file`.
        var files: [String: Known] = [:]
        var keys = ProjectKeys()
        var groups: ProjectGroups?
    }

    public let layout: BackupLayout
    private let state = Mutex(State())

    public init(layout: BackupLayout) { self.layout = layout }

    /// The groups as the manifests are now: what changed since the last call is read first.
    /// Calls wait for each other, so one change is read once.
    public func groups() -> ProjectGroups {
        state.withLock { state in
            let found = Self.scan(layout)
            var changed = state.groups == nil
            for path in state.files.keys where found[path] == nil {
                state.files[path] = nil
                changed = true
            }
            for (path, file) in found where state.files[path]?.stamp != file.stamp {
                state.files[path] = Known(stamp: file.stamp, catalog: Self.read(file, keys: &state.keys))
                changed = true
            }
            if let groups = state.groups, !changed { return groups }
            Self.compact(&state)
            let groups = ProjectGroups(files: state.files.values.compactMap(\.catalog), keys: state.keys)
            state.groups = groups
            return groups
        }
    }

    // MARK: the files

    private struct Found: Sendable {
        let relativePath: String
        let manifestPath: String
        let time: Date
        let stamp: ManifestStamp
    }

    /// Every finished backup with a manifest, as ``StoredBackup/all(in:)`` finds them (regular
    /// files named like a backup in a library folder; hidden and `.partial` files ignored), by
    /// `folder/file`. Stats each backup and manifest; reads none.
    private static func scan(_ layout: BackupLayout) -> [String: Found] {
        let manager = FileManager.default
        var found: [String: Found] = [:]
        // The backups StoredBackup.all lists: library folders, then regular files named like a backup.
        for folder in BackupLayout.libraryFolders(in: layout) {
            let directory = layout.root + "/" + folder
            for file in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where !file.hasPrefix(".") {
                guard let time = BackupLayout.time(ofFileName: file), FileIdentity.of(directory + "/" + file) != nil else { continue }
                let manifestPath = BackupLayout.manifestPath(forBackup: directory + "/" + file)
                guard let stamp = ManifestStamp(path: manifestPath) else { continue }
                let relativePath = folder + "/" + file
                found[relativePath] = Found(relativePath: relativePath, manifestPath: manifestPath, time: time, stamp: stamp)
            }
        }
        return found
    }

    /// The catalog of one manifest, read as ``StoredBackup`` reads it (``BackupManifest/decode(_:)``);
    /// nil when it does not read (a backup without a catalog, as for `list`).
    private static func read(_ file: Found, keys: inout ProjectKeys) -> Catalog? {
        guard let data = FileManager.default.contents(atPath: file.manifestPath),
              let manifest = try? BackupManifest.decode(data) else { return nil }
        return Catalog(database: manifest.database, relativePath: file.relativePath, time: file.time,
                       entries: manifest.resolve.projects.map { keys.entry($0) })
    }

    /// Forgets the names of projects no backup holds any more once they are the larger part, so
    /// months of projects coming and going do not add up.
    private static func compact(_ state: inout State) {
        var used = Set<Int32>()
        for known in state.files.values { for entry in known.catalog?.entries ?? [] { used.insert(entry.key) } }
        guard state.keys.count > 2 * used.count + 1024 else { return }
        var keys = ProjectKeys()
        var renumbered: [Int32: Int32] = [:]
        for number in used.sorted() { renumbered[number] = keys.number(state.keys.key(number)) }
        for path in Array(state.files.keys) {
            guard var catalog = state.files[path]?.catalog else { continue }
            for index in catalog.entries.indices { catalog.entries[index].key = renumbered[catalog.entries[index].key] ?? 0 }
            state.files[path]?.catalog = catalog
        }
        state.keys = keys
    }

    // MARK: one per folder

    private static let registry = Mutex<[CatalogIndex]>([])

    /// The index of `layout`'s folder, shared by every search of this process (the console's
    /// requests). A process keeps the indexes of its last four folders (tests make many).
    public static func shared(_ layout: BackupLayout) -> CatalogIndex {
        registry.withLock { indexes in
            if let index = indexes.first(where: { $0.layout.root == layout.root }) { return index }
            let index = CatalogIndex(layout: layout)
            indexes = Array(indexes.suffix(3)) + [index]
            return index
        }
    }
}
