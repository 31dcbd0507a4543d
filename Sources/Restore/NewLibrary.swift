import Foundation
import LaterbaseCore
import Logging
import Synchronization

/// The new database of one restore, from the name check to a library an editor can open, and
/// the one place that decides its life. It is made from template0 (UTF8) under a working name
/// (`laterbase_restoring_<id>`, marked with who restores it: ``RestoreTarget/removeAbandoned()``),
/// filled by a ``RestoreSource``, and renamed to the name asked for only once it is complete; it
/// is dropped again when anything fails — an error, a cancel (SIGTERM/SIGINT of a command, Cancel
/// in the console), a failed fill. A restore killed outright (SIGKILL, the OOM killer, a host
/// reboot) therefore never leaves a partial library under the name asked for.
/// Got from ``RestoreTarget/newLibrary(named:)``, which checked the name, or
/// ``RestoreTarget/scratchLibrary()`` (never renamed: `verify --restore-test`).
public final class NewLibrary: Sendable {
    /// The name asked for (for a scratch library, a name for messages only).
    public let name: String
    /// Where the library is made and filled until it is complete.
    public let workingName: String
    public let target: RestoreTarget
    /// A scratch library keeps its working name (it is read, then dropped).
    let scratch: Bool
    private let state = Mutex(State())

    private struct State {
        var made = Made.no
        var renamed = false
    }

    private enum Made { case no, closed, open }

    init(name: String, target: RestoreTarget, scratch: Bool = false) {
        self.name = name
        self.workingName = RestoringName.make()
        self.target = target
        self.scratch = scratch
    }

    var logger: Logger { target.logger }

    /// Whether `CREATE DATABASE` ran (so a failure must drop it).
    public var isCreated: Bool { state.withLock { $0.made != .no } }

    /// The database's name now: ``workingName`` until the restore is complete, then ``name``.
    public var currentName: String { state.withLock { $0.renamed } ? name : workingName }

    /// Makes `source`'s library and returns where it is. When anything fails after the database
    /// was made, it is dropped again.
    /// - Throws: ``RestoreError`` `.failed` (dropped again) or `.failedAndLeftBehind` when the fill
    ///   failed, `.failedAndLeftBehind` when another failure left a database that could not be
    ///   dropped, else the source's own error (nothing left behind).
    @discardableResult
    public func restore(from source: some RestoreSource) async throws -> RestoredLibrary {
        do {
            try await source.write(into: self)
        } catch let error as RestoreError {
            throw error  // from the checksum (nothing made) or from fill (dropped already)
        } catch {
            guard isCreated else { throw error }
            do {
                try await drop()
            } catch let dropError {
                throw RestoreError(.failedAndLeftBehind, "\(oneLine(error)); the new database \"\(name)\" could not be dropped: \(oneLine(dropError)); drop it by hand")
            }
            throw error
        }
        return RestoredLibrary(name: name, server: target.server, source: source.restoredName)
    }

    /// `CREATE DATABASE <working name> TEMPLATE template0 ENCODING 'UTF8'` and its marker. Once: a
    /// second call (a replay that starts over) finds it made.
    /// - Parameters:
    ///   - connectable: false: `ALLOW_CONNECTIONS false` until ``fill(from:_:)`` opens it (`restore --at`
    ///     makes it beside the replay).
    ///   - cancellable: false when the caller must know whether the database was made (a cancel
    ///     that arrives as the statement commits would leave that unknown).
    public func create(connectable: Bool = true, cancellable: Bool = true) async throws {
        guard !isCreated else { return }
        let closed = connectable ? "" : " ALLOW_CONNECTIONS false"
        let quoted = SQLQuoting.identifier(workingName)
        let marker = RestoreTarget.marker(for: name, by: .current)
        try await PostgresConnection.withConnection(RestoreTarget.databaseDDL(target.server.with(database: "postgres")), cancellable: cancellable) { connection in
            try connection.query("CREATE DATABASE \(quoted) TEMPLATE template0 ENCODING 'UTF8'\(closed)")
        }
        state.withLock { $0.made = connectable ? .open : .closed }
        try await PostgresConnection.withConnection(target.server.with(database: "postgres"), cancellable: cancellable) { connection in
            _ = try connection.query("COMMENT ON DATABASE \(quoted) IS \(SQLQuoting.literal(marker))")
        }
    }

    /// Fills the library (made first when it is not yet; opened first when it was made closed) by
    /// `body`, then gives it the name asked for (not a scratch library); when anything of that
    /// throws, the library is dropped again.
    /// - Parameter source: names the source in the log line and in the error.
    /// - Throws: ``RestoreError`` `.failed` (dropped again), `.failedAndLeftBehind`, or
    ///   `.databaseExists` when the name was taken while the restore ran (dropped again).
    public func fill(from source: some RestoreSource, _ body: () async throws -> Void) async throws {
        try await create()
        logger.info("restoring", metadata: [LogKey.file: "\(source.logName)", LogKey.database: "\(name)", LogKey.host: "\(target.server.host):\(target.server.port)"])
        do {
            if state.withLock({ $0.made }) == .closed {
                try await PostgresConnection.withConnection(target.server.with(database: "postgres")) { connection in
                    _ = try connection.query("ALTER DATABASE \(SQLQuoting.identifier(self.workingName)) ALLOW_CONNECTIONS true")
                }
                state.withLock { $0.made = .open }
            }
            try await body()
            if !scratch { try await giveName() }
        } catch {
            let reason = oneLine(error)
            do {
                try await drop()
            } catch {
                throw RestoreError(.failedAndLeftBehind, "restore of \(source.label) failed (\(reason)) and the new database \"\(name)\" could not be dropped: \(error); drop it by hand")
            }
            // A name taken meanwhile, a file that is not what its manifest says: their own line.
            if let taken = error as? RestoreError, taken.code == .databaseExists || taken.code == .checksumMismatch { throw taken }
            throw RestoreError(.failed, "restore of \(source.label) failed and \"\(name)\" was removed again: \(reason)")
        }
    }

    /// The complete library under the name asked for, its marker removed. A session still closing
    /// (psql's backend) is waited for up to 10 s.
    /// - Throws: ``RestoreError`` `.databaseExists` when the name was taken meanwhile.
    private func giveName() async throws {
        let (working, final) = (SQLQuoting.identifier(workingName), SQLQuoting.identifier(name))
        for attempt in 1... {
            do {
                try await PostgresConnection.withConnection(RestoreTarget.databaseDDL(target.server.with(database: "postgres")), cancellable: false) { connection in
                    _ = try connection.query("ALTER DATABASE \(working) RENAME TO \(final)")
                }
                break
            } catch let error as PostgresError where error.sqlState == "55006" && attempt < 100 {
                try await Task.sleep(for: .milliseconds(100))  // "being accessed by other users": psql's backend ends
            } catch let error as PostgresError where error.sqlState == "42P04" || error.sqlState == "23505" {
                // 42P04: the name was taken meanwhile; 23505 (pg_database's unique index): another
                // restore renamed its copy to the same name at the same moment.
                throw RestoreError(.databaseExists, "database \"\(name)\" was made on \(target.server.host):\(target.server.port) while this restore ran, so it already exists; restore never writes into an existing library: the restored copy was removed, choose a new name with --as")
            }
        }
        state.withLock { $0.renamed = true }
        try? await PostgresConnection.withConnection(target.server.with(database: "postgres")) { connection in
            _ = try connection.query("COMMENT ON DATABASE \(final) IS NULL")
        }
    }

    /// Drops the library (after a failed restore, or once `verify --restore-test` has read it).
    /// Not cancellable: it is a clean-up. On PostgreSQL 13+ `WITH (FORCE)` ends a psql session
    /// that is still closing.
    public func drop() async throws {
        try await target.dropDatabase(currentName)
        state.withLock { $0 = State() }
    }
}
