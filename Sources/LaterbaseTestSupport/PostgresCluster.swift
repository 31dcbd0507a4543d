import Foundation
import LaterbaseCore

/// A real, throwaway PostgreSQL server for tests: `initdb` into a fresh temporary directory,
/// `pg_ctl start` on a free loopback port with scram-sha-256 authentication, and on
/// ``destroy()`` a fast stop and removal of everything it created.
///
/// When the tests run as root the server runs as the `postgres` OS account (PostgreSQL refuses
/// root). Use ``withCluster(_:_:)`` so the server is removed also when the test throws; servers
/// still running when the test process exits are stopped by an exit handler.
public struct PostgresCluster: Sendable {
    /// How to set up the cluster.
    public struct Options: Sendable {
        /// `wal_level=replica`, WAL senders and slots, and `host replication` lines in pg_hba.
        public var replication = false
        public var password = "Test-pw:\(UUID().uuidString.prefix(8))'\"\\"
        /// Extra `postgresql.conf` lines.
        public var settings: [String] = []
        public init(replication: Bool = false) { self.replication = replication }
    }

    public let root: String
    public let dataDirectory: String
    public let port: Int
    public let superuser = "postgres"
    public let password: Secret
    public let tools: PostgresTools
    /// The account the server runs as (nil: the current user).
    public let account: SystemAccount?

    /// Starts a new cluster. Throws with the server log's tail when it does not come up.
    public static func start(_ options: Options = Options()) async throws -> PostgresCluster {
        let tools = PostgresTools()
        let account = SystemAccount.isRoot ? SystemAccount(named: "postgres") : nil
        if SystemAccount.isRoot && account == nil {
            throw ClusterError("running as root but there is no postgres OS account; install postgresql-15")
        }
        var template = Array("/tmp/laterbase-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ClusterError("mkdtemp failed") }
        let root = String(cString: made)
        do {
            if let account { try account.own(recursively: root) }
            let pwfile = root + "/pwfile"
            try SecureFile.writeAtomically(Data(options.password.utf8), to: pwfile, mode: 0o600, owner: account)
            let data = root + "/data"
            var initdb = ChildProcess(try tools.require("initdb"), [
                "-D", data, "-U", "postgres", "--pwfile=\(pwfile)", "--auth=scram-sha-256",
                "--encoding=UTF8", "--locale=C", "--no-sync",
            ])
            initdb.account = account
            _ = try await initdb.output()
            unlink(pwfile)
            var lastError: (any Error)?
            for _ in 0..<5 {
                let port = try FreePort.find()
                try writeConfig(data: data, root: root, port: port, options: options)
                var start = ChildProcess(try tools.require("pg_ctl"), ["-D", data, "-l", root + "/server.log", "-w", "-t", "60", "start"])
                start.account = account
                do {
                    _ = try await start.output()
                    let cluster = PostgresCluster(root: root, dataDirectory: data, port: port,
                                                  password: Secret(options.password), tools: tools, account: account)
                    ClusterRegistry.shared.add(root: root, data: data)
                    return cluster
                } catch {
                    lastError = error
                    let log = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
                    if !log.contains("could not bind") && !log.contains("Address already in use") { break }
                }
            }
            let log = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
            throw ClusterError("PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") \(log.suffix(800))")
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
    }

    /// Runs `body` with a new cluster and destroys the cluster afterwards, also when `body` throws.
    public static func withCluster<T>(_ options: Options = Options(), _ body: (PostgresCluster) async throws -> T) async throws -> T {
        let cluster = try await start(options)
        do {
            let result = try await body(cluster)
            await cluster.destroy()
            return result
        } catch {
            await cluster.destroy()
            throw error
        }
    }

    /// Stops the server (fast shutdown, immediate if that hangs) and removes its directory. Idempotent.
    public func destroy() async {
        await stop()
        ClusterRegistry.shared.remove(root: root)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Stops the server but keeps its files (to test "primary down"). Idempotent.
    public func stop(mode: String = "fast") async {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid"),
              let pgctl = tools.find("pg_ctl") else { return }
        var stop = ChildProcess(pgctl, ["-D", dataDirectory, "-m", mode, "-w", "-t", "30", "stop"])
        stop.account = account
        if (try? await stop.output()) == nil && mode != "immediate" {
            await self.stop(mode: "immediate")
        }
    }

    /// Starts a server stopped with ``stop(mode:)`` again on the same port.
    public func restart() async throws {
        var start = ChildProcess(try tools.require("pg_ctl"), ["-D", dataDirectory, "-l", root + "/server.log", "-w", "-t", "60", "start"])
        start.account = account
        _ = try await start.output()
    }

    /// Connection parameters for the superuser over TCP on 127.0.0.1.
    ///
    /// The tests' own sessions (fixtures, load, checks) may run one statement for up to 5 minutes,
    /// the suites' time limit, not Laterbase's 60 s: on a CI machine whose disk falls behind, the
    /// kernel holds every writer of two test servers at once for a minute (seen on 2026-12-02: an
    /// UPDATE of 2000 rows in each of two clusters failed at 60 s within the same second). A test
    /// that checks Laterbase's own bound sets it on its copy of these parameters.
    public func parameters(database: String = "postgres", replication: Bool = false) -> ConnectionParameters {
        ConnectionParameters(host: "127.0.0.1", port: port, user: superuser, password: password,
                             database: database, sslMode: "disable", connectTimeoutSeconds: 5,
                             applicationName: "laterbase-tests", replication: replication,
                             statementTimeoutSeconds: Self.testStatementTimeoutSeconds)
    }

    /// How long one statement of a test's own session may run (see ``parameters(database:replication:)``).
    public static let testStatementTimeoutSeconds = 300

    /// Runs SQL (parameters allowed) and returns the rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = [], database: String = "postgres") async throws -> QueryResult {
        let connection = self.parameters(database: database)
        return try await PostgresConnection.withConnection(connection) { try $0.query(sql, parameters) }
    }

    /// The server's major version (15, 13, …): tests run against what `PG_BINDIR` names.
    public func majorVersion() async throws -> Int {
        let number = try await query("SHOW server_version_num").scalar.flatMap { Int($0) } ?? 0
        return PostgresMajorVersion(serverVersionNumber: number)?.code ?? 0
    }

    /// Runs a script of several statements (simple query protocol, no parameters).
    public func execute(_ script: String, database: String = "postgres") async throws {
        let connection = self.parameters(database: database)
        try await PostgresConnection.withConnection(connection) { _ = try $0.simpleQuery(script) }
    }

    /// Creates a UTF8 database from template0.
    public func createDatabase(_ name: String) async throws {
        try await query("CREATE DATABASE \(SQLQuoting.identifier(name)) TEMPLATE template0 ENCODING 'UTF8'")
    }

    /// The tail of the server log, for failure messages.
    public func logTail(_ bytes: Int = 2000) -> String {
        String(((try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? "").suffix(bytes))
    }

    private static func writeConfig(data: String, root: String, port: Int, options: Options) throws {
        var lines = [
            "port = \(port)",
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = '\(root)'",
            "fsync = off",
            "full_page_writes = off",
            "max_connections = 40",
            "shared_buffers = 32MB",
        ]
        if options.replication {
            lines += ["wal_level = replica", "max_wal_senders = 10", "max_replication_slots = 10", "wal_keep_size = 64MB"]
        } else {
            lines += ["wal_level = minimal", "max_wal_senders = 0"]
        }
        lines += options.settings
        try (lines.joined(separator: "\n") + "\n").write(toFile: data + "/postgresql.auto.conf", atomically: false, encoding: .utf8)
        var hba = "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
        if options.replication { hba += "host replication all 127.0.0.1/32 scram-sha-256\n" }
        try hba.write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
    }
}

/// A test-harness failure (not a failure of the code under test).
public struct ClusterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
