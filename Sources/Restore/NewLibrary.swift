import Foundation
import LaterbaseCore
import Logging
import Synchronization

/// The new database of one restore, from the name check to a library an editor can open, and
/// the one place that decides its life: it is made from template0 (UTF8; the statement fails
/// when the name exists), filled by a ``RestoreSource``, and dropped again when anything fails —
/// an error, a cancel (SIGTERM/SIGINT of a command, Cancel in the console), a failed fill.
/// Got from ``RestoreTarget/newLibrary(named:)``, which checked the name.
public final class NewLibrary: Sendable {
    public let name: String
    public let target: RestoreTarget
    private let made = Mutex(Made.no)

    private enum Made { case no, closed, open }

    init(name: String, target: RestoreTarget) {
        self.name = name
        self.target = target
    }

    var logger: Logger { target.logger }

    /// Whether `CREATE DATABASE` ran (so a failure must drop it).
    public var isCreated: Bool { made.withLock { $0 != .no } }

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

    /// `CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8'`: fails when the name exists. Once:
    /// a second call (a replay that starts over) finds it made.
    /// - Parameters:
    ///   - connectable: false: `ALLOW_CONNECTIONS false` until ``fill(_:)`` opens it (`restore --at`
    ///     makes it beside the replay; one left by a kill is plainly not a library).
    ///   - cancellable: false when the caller must know whether the database was made (a cancel
    ///     that arrives as the statement commits would leave that unknown).
    public func create(connectable: Bool = true, cancellable: Bool = true) async throws {
        guard !isCreated else { return }
        let closed = connectable ? "" : " ALLOW_CONNECTIONS false"
        try await PostgresConnection.withConnection(RestoreTarget.databaseDDL(target.server.with(database: "postgres")), cancellable: cancellable) { connection in
            try connection.query("CREATE DATABASE \(SQLQuoting.identifier(self.name)) TEMPLATE template0 ENCODING 'UTF8'\(closed)")
        }
        made.withLock { $0 = connectable ? .open : .closed }
    }

    /// Fills the library (made first when it is not yet; opened first when it was made closed) by
    /// `body`; when `body` throws, the library is dropped again.
    /// - Parameter source: names the source in the log line and in the error.
    /// - Throws: ``RestoreError`` `.failed` (dropped again) or `.failedAndLeftBehind`.
    public func fill(from source: some RestoreSource, _ body: () async throws -> Void) async throws {
        try await create()
        logger.info("restoring", metadata: [LogKey.file: "\(source.logName)", LogKey.database: "\(name)", LogKey.host: "\(target.server.host):\(target.server.port)"])
        do {
            if made.withLock({ $0 }) == .closed {
                try await PostgresConnection.withConnection(target.server.with(database: "postgres")) { connection in
                    _ = try connection.query("ALTER DATABASE \(SQLQuoting.identifier(self.name)) ALLOW_CONNECTIONS true")
                }
                made.withLock { $0 = .open }
            }
            try await body()
        } catch {
            let reason = oneLine(error)
            do {
                try await drop()
            } catch {
                throw RestoreError(.failedAndLeftBehind, "restore of \(source.label) failed (\(reason)) and the new database \"\(name)\" could not be dropped: \(error); drop it by hand")
            }
            throw RestoreError(.failed, "restore of \(source.label) failed and \"\(name)\" was removed again: \(reason)")
        }
    }

    /// Drops the library (after a failed restore, or once `verify --restore-test` has read it).
    /// Not cancellable: it is a clean-up. On PostgreSQL 13+ `WITH (FORCE)` ends a psql session
    /// that is still closing.
    public func drop() async throws {
        try await PostgresConnection.withConnection(RestoreTarget.databaseDDL(target.server.with(database: "postgres")), cancellable: false) { connection in
            let force = connection.serverVersionNumber >= 130_000 ? " WITH (FORCE)" : ""
            try connection.query("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(self.name))\(force)")
        }
        made.withLock { $0 = .no }
    }
}
