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

    public init(server: ConnectionParameters, tools: PostgresTools = PostgresTools(), logger: Logger) {
        self.server = server
        self.tools = tools
        self.logger = logger
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
        return NewLibrary(name: name, target: self)
    }

    /// `psql` that runs the plain SQL of `input` (`-` for its standard input, or a FIFO's path)
    /// into `database` in one transaction, stopping at the first error.
    public func psql(into database: String, reading input: String = "-") throws -> ChildProcess {
        var psql = ChildProcess(try tools.require("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", input])
        psql.connect(to: server.with(database: database), application: "laterbase-restore")
        return psql
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
