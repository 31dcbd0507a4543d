import Foundation
import LaterbaseCore

/// A `standby-entrypoint run` child process for integration tests, fed by a ``PostgresCluster``
/// as its primary. Its data directory lives in a fresh `/tmp/laterbase-standby-XXXXXX` (owned
/// by the `postgres` account when the tests run as root); its output goes to a log file there.
///
/// The entrypoint execs postgres, so the child's pid becomes the postmaster's: ``stop()``
/// sends it SIGINT (fast shutdown). Use ``withStandby(primary:environment:_:)`` so the server
/// is stopped and the directory removed also when the test throws.
public final class StandbyProcess: @unchecked Sendable {
    public let root: String
    public let dataDirectory: String
    /// The standby's own port (`PGPORT`); a new one when another test took it first.
    public var port: Int { lock.withLock { currentPort } }
    private var currentPort: Int
    /// Where the log of the latest start begins.
    private var logOffset: UInt64 = 0
    private var lastArguments = StandbyProcess.testServerArguments
    public let logPath: String
    /// The environment of every run (and of ``command(_:)``); change it between starts.
    public var environment: [String: String]
    private let lock = NSLock()
    private var process: Process?

    /// Settings for the standby of `primary`: superuser login, sslmode=disable, a 3 s clone retry.
    public init(primary: PostgresCluster, environment extra: [String: String] = [:]) throws {
        var template = Array("/tmp/laterbase-standby-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ClusterError("mkdtemp failed") }
        root = String(cString: made)
        if let account = primary.account { try account.own(recursively: root) }
        dataDirectory = root + "/data"
        logPath = root + "/standby.log"
        let port = try FreePort.find()
        currentPort = port
        environment = [
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": String(primary.port), "PRIMARY_USER": primary.superuser,
            "REPL_PASSWORD": primary.password.reveal(), "PRIMARY_SSLMODE": "disable",
            "PGDATA": dataDirectory, "PGPORT": String(port), "STANDBY_CLONE_RETRY_SECONDS": "3",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ].merging(testedPrograms) { _, new in new }.merging(extra) { _, new in new }
    }

    /// Runs `body` with a new standby of `primary`, then stops it and removes its directory.
    public static func withStandby<T>(primary: PostgresCluster, environment: [String: String] = [:],
                                      _ body: (StandbyProcess) async throws -> T) async throws -> T {
        let standby = try StandbyProcess(primary: primary, environment: environment)
        do {
            let result = try await body(standby)
            await standby.destroy()
            return result
        } catch {
            await standby.destroy()
            throw error
        }
    }

    /// Postgres settings for tests: loopback only, no fsync.
    public static let testServerArguments = ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]

    /// Starts `standby-entrypoint run -- <postgres arguments>` in the background.
    public func start(postgresArguments: [String] = StandbyProcess.testServerArguments) throws {
        let offset = ((try? FileManager.default.attributesOfItem(atPath: logPath)[.size]) as? NSNumber)?.uint64Value ?? 0
        let child = try launchProduct("standby-entrypoint", ["run", "--"] + postgresArguments, environment: environment,
                                      output: .log(appendingTo: logPath))
        lock.withLock {
            logOffset = offset
            lastArguments = postgresArguments
        }
        lock.withLock { process = child }
    }

    /// The pid of the running child (the postmaster once postgres was exec'd).
    public var pid: Int32? { lock.withLock { process?.isRunning == true ? process?.processIdentifier : nil } }

    /// Everything the entrypoint and postgres wrote so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the child exits; returns its status, or nil if it still runs after `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let child = lock.withLock({ process }), !child.isRunning { return child.terminationStatus }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        if let pid { kill(pid, signal) }
    }

    /// Polls `condition` every 250 ms until it holds; throws with the log tail after `timeout`.
    public func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
        guard await poll(timeout: timeout, every: .milliseconds(250), condition) else {
            throw ClusterError("timed out waiting for \(what); standby log: \(log.suffix(3000))")
        }
    }

    /// Where the first boot builds its clone.
    public var cloneTemporaryPath: String { dataDirectory + ".clone-tmp" }

    /// Runs `body` while a new standby of `primary` is in its first boot's clone: pg_basebackup at
    /// its slowest rate (32 kB/s, so a ~20 MB primary takes minutes), past its first progress line
    /// in the log and its first files in ``cloneTemporaryPath``. Removes the standby afterwards.
    public static func whileCloning<T>(primary: PostgresCluster, _ body: (StandbyProcess) async throws -> T) async throws -> T {
        try await withStandby(primary: primary, environment: ["STANDBY_CLONE_MAX_RATE": "32k"]) { standby in
            try standby.start()
            try await standby.waitUntil("clone progress in the log", timeout: .seconds(60)) {
                standby.log.contains("clone progress") && FileManager.default.fileExists(atPath: standby.cloneTemporaryPath + "/PG_VERSION")
            }
            return try await body(standby)
        }
    }

    /// Waits until `healthcheck` exits 0. A postgres that could not bind its port (another test
    /// took it between ``FreePort`` and the bind) is started again on a new one.
    public func waitUntilHealthy(timeout: Duration = .seconds(90)) async throws {
        try await waitUntil("the standby to stream", timeout: timeout) {
            if (try? await command(["healthcheck"]).status) == 0 { return true }
            try? restartIfPortTaken()
            return false
        }
    }

    private func restartIfPortTaken() throws {
        let (exited, offset, postgresArguments) = lock.withLock { (process.map { !$0.isRunning } ?? false, logOffset, lastArguments) }
        guard exited, let data = FileManager.default.contents(atPath: logPath), UInt64(data.count) > offset,
              String(decoding: data[Int(offset)...], as: UTF8.self).contains("could not bind") else { return }
        let port = try FreePort.find()
        lock.withLock { currentPort = port }
        environment["PGPORT"] = String(port)
        try start(postgresArguments: postgresArguments)
    }

    /// Runs another subcommand (`healthcheck`, `status`, …) with the standby's environment.
    public func command(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProduct("standby-entrypoint", arguments, environment: environment.merging(extra) { _, new in new })
    }

    /// Connection parameters for the standby's server on 127.0.0.1.
    public func parameters(password: Secret? = nil) -> ConnectionParameters {
        ConnectionParameters(host: "127.0.0.1", port: port, user: environment["PRIMARY_USER"] ?? "postgres",
                             password: password ?? environment["REPL_PASSWORD"].map(Secret.init),
                             database: "postgres", sslMode: "disable", connectTimeoutSeconds: 5, applicationName: "laterbase-tests")
    }

    /// Runs SQL on the standby.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws -> QueryResult {
        try await PostgresConnection.withConnection(self.parameters()) { try $0.query(sql, parameters) }
    }

    /// Fast shutdown (SIGINT to the postmaster), SIGQUIT if it is not down in 30 s. Idempotent.
    public func stop() async {
        guard let pid else { return }
        kill(pid, SIGINT)
        if await waitForExit(timeout: .seconds(30)) == nil {
            kill(pid, SIGQUIT)
            _ = await waitForExit(timeout: .seconds(10))
        }
    }

    /// Stops the server and removes the directory with everything in it (moved-aside copies too).
    public func destroy() async {
        await stop()
        try? FileManager.default.removeItem(atPath: root)
    }
}
