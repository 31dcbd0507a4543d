import Backups
import Foundation
import LaterbaseCore
import Restore

/// The restore commands as calls: each gets its ``NewLibrary`` from ``restoreTarget(host:port:)``
/// and its source (a dump file, a moment of the undo window) from the Restore module.
extension AgentRuntime {
    /// `restore FILE --as NEWDB`.
    public func restore(_ backup: StoredBackup, as name: String, host: String? = nil, port: Int? = nil) async throws -> RestoredLibrary {
        try await restoreTarget(host: host, port: port).newLibrary(named: name).restore(from: DumpSource(backup))
    }

    /// `restore --db NAME --at TIME --as NEWDB`.
    public func restore(database: String, at time: Date, as name: String, host: String? = nil, port: Int? = nil) async throws -> RestoredLibrary {
        try await pointInTimeRestore(host: host, port: port).run(database: database, at: time, as: name)
    }

    /// `verify --restore-test` of one backup: restored into a scratch library
    /// (``RestoreTarget/scratchLibrary()``), its project names read, dropped again. Returns the names.
    public func restoreTest(_ backup: StoredBackup, host: String? = nil, port: Int? = nil) async throws -> [String] {
        let target = restoreTarget(host: host, port: port)
        let library = target.scratchLibrary()
        try await library.restore(from: DumpSource(backup))
        let restored = (try? await target.projects(in: library.workingName)) ?? []
        try await library.drop()
        return restored
    }
}

extension AgentRuntime {
    /// `export --db NAME (--backup FILE | --at TIME | --live) --out PATH` (``LibraryExport``).
    public func export(_ database: String, source: LibraryExport.Source, out: String) async throws -> LibraryExport.Exported {
        try await LibraryExport(target: restoreTarget(), layout: archiveLayout, user: settings.primary.user, globals: layout.globalsFile)
            .run(database: database, source: source, out: out)
    }
}
