import Backups
import Foundation
import LaterbaseCore
import Logging

/// The server a restore writes to: where every restore path — `restore FILE`, `restore --at`,
/// `verify --restore-test` and the console — gets its ``NewLibrary``, and the one place the psql
/// command line that fills a library is built.
///
/// A restore never writes over an existing database: ``newLibrary(named:)`` refuses a name that
/// exists (touching nothing), and the ``NewLibrary`` it hands out is created from template0,
/// filled, and dropped again when anything fails.
public struct RestoreTarget: Sendable {
    /// The server (and role) to restore to; the database is chosen per library.
    public let server: ConnectionParameters
    public let tools: PostgresTools
    public let logger: Logger
    /// psql sessions a restore fills a library with at once (`RESTORE_JOBS`; ``ParallelFeed``).
    public let jobs: Int

    public init(server: ConnectionParameters, tools: PostgresTools = PostgresTools(), logger: Logger, jobs: Int = 1) {
        self.server = server
        self.tools = tools
        self.logger = logger
        self.jobs = max(1, jobs)
    }

    /// The new library `name`, once the name is checked: usable (not empty, at most 63 bytes) and
    /// not taken on the server. Touches nothing.
    /// - Throws: ``RestoreError`` `.invalidName` or `.databaseExists` (the one-line refusal).
    public func newLibrary(named name: String) async throws -> NewLibrary {
        guard !name.isEmpty, !name.contains("\0") else { throw RestoreError(.invalidName, "--as needs a database name") }
        // PostgreSQL would cut a longer name to 63 bytes without asking: the library would
        // appear under a name nobody typed.
        guard name.utf8.count <= 63 else {
            throw RestoreError(.invalidName, "the name \"\(name)\" is \(name.utf8.count) bytes; PostgreSQL names are at most 63 bytes: choose a shorter name")
        }
        let exists = try await PostgresConnection.withConnection(server.with(database: "postgres")) { connection in
            try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).rows.count == 1
        }
        if exists {
            throw RestoreError(.databaseExists, "database \"\(name)\" already exists on \(server.host):\(server.port); restore never writes into an existing library: choose a new name with --as")
        }
        await removeAbandoned()
        return NewLibrary(name: name, target: self)
    }

    /// A library to restore into, read, and drop (`verify --restore-test`): it keeps its working
    /// name, so a restore test killed outright leaves only a marked database, which the next
    /// restore or backup pass drops (``removeAbandoned()``; not here: `verify --all` makes one per backup).
    public func scratchLibrary() -> NewLibrary {
        NewLibrary(name: "laterbase_verify_\(UUID().uuidString.prefix(8).lowercased())", target: self, scratch: true)
    }

    /// `psql` that runs the plain SQL of `input` (`-` for its standard input, or a FIFO's path)
    /// into `database`, stopping at the first error; in one transaction unless the input carries
    /// its own `BEGIN` … `COMMIT` (`singleTransaction: false`: an input cut short then commits nothing).
    public func psql(into database: String, reading input: String = "-", singleTransaction: Bool = true) throws -> ChildProcess {
        var psql = ChildProcess(try tools.require("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1"] + (singleTransaction ? ["--single-transaction"] : []) + ["-f", input])
        psql.connect(to: server.with(database: database), application: "laterbase-restore")
        return psql
    }

    /// The marker comment of a library being restored: whose restore it is, for ``removeAbandoned()``.
    static func marker(for name: String, by owner: ProcessIdentity) -> String {
        "laterbase: unfinished restore of \"\(name)\" by \(owner.text)"
    }

    /// The restorer a marker names, nil when the comment is not a marker.
    static func owner(inMarker comment: String) -> ProcessIdentity? {
        guard comment.hasPrefix("laterbase: unfinished restore of "), let by = comment.range(of: " by ", options: .backwards) else { return nil }
        return ProcessIdentity(text: String(comment[by.upperBound...]))
    }

    /// Drops what a restore killed outright left: every `laterbase_restoring_…` database whose
    /// marker names a process of this host that has ended (one of another host is left to that
    /// host, one without a marker to people). Runs before every restore and after every backup
    /// pass; never throws, logs what it dropped or could not. Returns the names dropped.
    @discardableResult
    public func removeAbandoned() async -> [String] {
        let found: [UnfinishedRestore]
        do {
            found = try await unfinishedRestores()
        } catch {
            logger.debug("could not look for unfinished restores", metadata: [LogKey.error: "\(oneLine(error))"])
            return []
        }
        var dropped: [String] = []
        for restore in found where restore.hasEnded == true {
            do {
                try await dropDatabase(restore.database)
                dropped.append(restore.database)
                logger.warning("dropped the database of an unfinished restore whose process has ended", metadata: [
                    LogKey.database: "\(restore.database)", "restore_of": "\(restore.library ?? "")", "pid": "\(restore.owner?.pid ?? 0)"])
            } catch {
                logger.warning("could not drop the database of an unfinished restore", metadata: [LogKey.database: "\(restore.database)", LogKey.error: "\(oneLine(error))"])
            }
        }
        return dropped
    }

    /// `DROP DATABASE IF EXISTS`, not cancellable (a clean-up); on PostgreSQL 13+ `WITH (FORCE)`
    /// ends a session that is still closing.
    func dropDatabase(_ name: String) async throws {
        try await PostgresConnection.withConnection(Self.databaseDDL(server.with(database: "postgres")), cancellable: false) { connection in
            let force = connection.serverVersionNumber >= 130_000 ? " WITH (FORCE)" : ""
            try connection.query("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(name))\(force)")
        }
    }

    /// The project names in a restored library, for comparison with the manifest.
    public func projects(in database: String) async throws -> [String] {
        try await PostgresConnection.withConnection(server.with(database: database)) { connection in
            try connection.resolveCatalog().projects.map(\.name)
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
