import Backups
import Foundation
import LaterbaseCore
import Logging

/// Restores a backup into a NEW database, never over an existing one: checksum first, then
/// `CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8'`, then the SQL through
/// `psql --single-transaction`; when anything fails after the database was created, it is
/// dropped again, so a failed restore leaves nothing behind.
public struct RestoreJob: Sendable {
    public let target: ConnectionParameters
    public let tools: PostgresTools
    public let logger: Logger

    public init(target: ConnectionParameters, tools: PostgresTools = PostgresTools(), logger: Logger) {
        self.target = target
        self.tools = tools
        self.logger = logger
    }

    /// Checks the file against its manifest: SHA-256 and a full gzip decode. Returns the result.
    public static func verifyChecksum(_ backup: StoredBackup) async throws -> GzipReader.Result {
        let result = try await GzipReader.read(backup.path)
        if let manifest = backup.manifest, manifest.sha256 != result.sha256 {
            throw RestoreError(.checksumMismatch, "\(backup.relativePath) does not match its manifest (SHA-256 \(result.sha256.prefix(12))…, expected \(manifest.sha256.prefix(12))…); the file is damaged: use another backup")
        }
        return result
    }

    /// Restores `backup` as `database`. Throws before touching anything when the name exists.
    /// - Parameter progress: called with the bytes of SQL fed to psql so far, after each chunk
    ///   (the console's progress bar; the total is the manifest's `rawBytes`).
    public func run(_ backup: StoredBackup, as database: String, skipChecksum: Bool = false,
                    progress: (@Sendable (Int64) -> Void)? = nil) async throws {
        try await requireNew(database)
        if !skipChecksum { _ = try await Self.verifyChecksum(backup) }
        let path = backup.path
        try await restore(into: database, label: backup.file, logFile: backup.relativePath) { write in
            var fed: Int64 = 0
            _ = try await GzipReader.read(path) { chunk in
                try await write(chunk)
                fed += Int64(chunk.count)
                progress?(fed)
            }
        }
    }

    /// Throws ``RestoreError`` `.invalidName` or `.databaseExists` (the one-line refusal) when
    /// `database` is not a usable new name; touches nothing.
    public func requireNew(_ database: String) async throws {
        guard !database.isEmpty, !database.contains("\0") else { throw RestoreError(.invalidName, "--as needs a database name") }
        // PostgreSQL would cut a longer name to 63 bytes without asking: the library would
        // appear under a name nobody typed.
        guard database.utf8.count <= 63 else {
            throw RestoreError(.invalidName, "the name \"\(database)\" is \(database.utf8.count) bytes; PostgreSQL names are at most 63 bytes: choose a shorter name")
        }
        let exists = try await PostgresConnection.withConnection(target.with(database: "postgres")) { connection in
            try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).rows.count == 1
        }
        if exists {
            throw RestoreError(.databaseExists, "database \"\(database)\" already exists on \(target.host):\(target.port); restore never writes into an existing library: choose a new name with --as")
        }
    }

    /// Creates `database` (UTF8, from template0; fails when it exists) and feeds plain SQL from
    /// `feed` into `psql --single-transaction`; drops the database again when anything fails.
    /// Shared by the restore of a dump file and `verify --restore-test`.
    /// - Parameters:
    ///   - label: names the source in messages (a file name, or "Resolve at 2026-11-24 14:34:59 UTC").
    ///   - logFile: the source in the log line.
    /// - Throws: ``RestoreError`` `.failed` (dropped again) or `.failedAndLeftBehind`.
    public func restore(into database: String, label: String, logFile: String,
                        feed: @escaping @Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void) async throws {
        try await intoNewDatabase(database, label: label, logFile: logFile) {
            var psql = ChildProcess(try tools.require("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"])
            psql.connect(to: target.with(database: database), application: "laterbase-restore")
            try await psql.run(feeding: feed, onOutput: { _ in })
        }
    }

    /// The guarantees of every restore, around `fill`, which writes the library: `CREATE DATABASE
    /// … TEMPLATE template0 ENCODING 'UTF8'` first (it fails when the name exists), and when
    /// `fill` throws, the new database dropped again. Also the copy step of `restore --at`.
    /// - Throws: ``RestoreError`` `.failed` (dropped again) or `.failedAndLeftBehind`.
    /// - Parameter created: the caller already ran ``create(_:connectable:cancellable:)`` with
    ///   `connectable: false` (`restore --at` does while it replays); it is opened first.
    func intoNewDatabase(_ database: String, label: String, logFile: String, created: Bool = false, fill: () async throws -> Void) async throws {
        if !created { try await create(database) }
        logger.info("restoring", metadata: [LogKey.file: "\(logFile)", LogKey.database: "\(database)", LogKey.host: "\(target.host):\(target.port)"])
        do {
            if created {
                try await PostgresConnection.withConnection(target.with(database: "postgres")) { connection in
                    _ = try connection.query("ALTER DATABASE \(SQLQuoting.identifier(database)) ALLOW_CONNECTIONS true")
                }
            }
            try await fill()
        } catch {
            let reason = oneLine(error)
            do {
                try await drop(database)
            } catch {
                throw RestoreError(.failedAndLeftBehind, "restore of \(label) failed (\(reason)) and the new database \"\(database)\" could not be dropped: \(error); drop it by hand")
            }
            throw RestoreError(.failed, "restore of \(label) failed and \"\(database)\" was removed again: \(reason)")
        }
    }

    /// `CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8'`: fails when the name exists.
    /// - Parameters:
    ///   - connectable: false: `ALLOW_CONNECTIONS false` until ``intoNewDatabase(_:label:logFile:created:fill:)`` opens it.
    ///   - cancellable: false when the caller must know whether the database was made (a cancel
    ///     that arrives as the statement commits would leave that unknown).
    func create(_ database: String, connectable: Bool = true, cancellable: Bool = true) async throws {
        let closed = connectable ? "" : " ALLOW_CONNECTIONS false"
        try await PostgresConnection.withConnection(Self.databaseDDL(target.with(database: "postgres")), cancellable: cancellable) { connection in
            try connection.query("CREATE DATABASE \(SQLQuoting.identifier(database)) TEMPLATE template0 ENCODING 'UTF8'\(closed)")
        }
    }

    /// The project names in a restored library, for comparison with the manifest.
    public func projects(in database: String) async throws -> [String] {
        try await PostgresConnection.withConnection(target.with(database: database)) { connection in
            try connection.resolveCatalog().projects.map(\.name)
        }
    }

    /// Drops a database this job created (after a failed restore or `verify --restore-test`).
    /// On PostgreSQL 13+ `WITH (FORCE)` ends a psql session that is still closing.
    public func drop(_ database: String) async throws {
        // Not cancellable: it is the clean-up of an interrupted restore.
        try await PostgresConnection.withConnection(Self.databaseDDL(target.with(database: "postgres")), cancellable: false) { connection in
            let force = connection.serverVersionNumber >= 130_000 ? " WITH (FORCE)" : ""
            try connection.query("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(database))\(force)")
        }
    }

    /// CREATE and DROP DATABASE wait for a checkpoint before PostgreSQL 15 (and DROP for the
    /// sessions it ends): on a busy Resolve server that can outlast the 60 s Laterbase gives
    /// its own statements, so these two get 10 minutes.
    static func databaseDDL(_ parameters: ConnectionParameters) -> ConnectionParameters {
        var generous = parameters
        generous.statementTimeoutSeconds = 600
        return generous
    }
}
