import Foundation
import LaterbaseCore
import LaterbaseTestSupport

/// A real PostgreSQL cluster holding a Resolve-like library, and the built `backup-agent run`
/// (launched by ``launchProduct(_:_:environment:output:)``) with the console on a free loopback
/// port, after its first backup pass: the console over real HTTP.
struct ConsoleHarness: ConsoleUnderTest {
    static let library = "Demo Library"
    let cluster: PostgresCluster
    let backupDirectory: String
    let port: Int
    let password: String
    let agent: Process
    /// The agent's log (standard output and error).
    let errors: String
    let client: CurlClient

    /// - Parameters:
    ///   - port: the console's port (default a free one).
    ///   - replication: a primary a standby can clone.
    ///   - ready: what "started" means; default the console's /healthz answering 200.
    ///   - directory: `BACKUP_DIR` made by the caller (removed at the end all the same).
    ///   - openFiles: the soft limit of open files the agent starts with (by prlimit; the hard
    ///     limit stays this process's).
    static func with(projects: Int = 3, blobKilobytes: Int = 64, port: Int? = nil, replication: Bool = false,
                     directory: String? = nil, openFiles: UInt? = nil,
                     ready: (@Sendable (ConsoleHarness) async -> Bool)? = nil,
                     _ body: (ConsoleHarness) async throws -> Void) async throws {
        try await PostgresCluster.withCluster(.init(replication: replication)) { cluster in
            try await cluster.createDatabase(library)
            try await ResolveFixture.populate(cluster, database: library, projects: projects, blobKilobytes: blobKilobytes)
            let harness = try await start(cluster, port: port, directory: directory, openFiles: openFiles, ready: ready)
            defer { harness.stop() }
            try await body(harness)
        }
    }

    private static func start(_ cluster: PostgresCluster, port chosen: Int?, directory given: String?, openFiles: UInt?,
                              ready: (@Sendable (ConsoleHarness) async -> Bool)?) async throws -> ConsoleHarness {
        let directory = given ?? NSTemporaryDirectory() + "laterbase-console-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try chosen ?? FreePort.find()
        let password = "console-\(UUID().uuidString.prefix(12))"
        let errors = directory + ".log"
        // `run` logs to standard output; both go to the one file.
        let environment = cluster.agentEnvironment(backupDirectory: directory, [
            "BACKUP_ON_START": "true", "BACKUP_SCHEDULE": "0 0 1 1 *",
            "CONSOLE": "on", "CONSOLE_ADDRESS": "127.0.0.1", "CONSOLE_PORT": String(port), "CONSOLE_PASSWORD": password,
        ])
        let process = try openFiles.map { try launchAgent(openFiles: $0, environment: environment, log: errors) }
            ?? launchProduct("backup-agent", ["run"], environment: environment, output: .log(appendingTo: errors))
        let harness = ConsoleHarness(cluster: cluster, backupDirectory: directory, port: port, password: password,
                                     agent: process, errors: errors, client: try CurlClient(port: port))
        let started = await poll(timeout: .seconds(120), every: .milliseconds(250)) {
            if let ready { return await ready(harness) }
            guard let reply = try? await harness.client.send("GET", "/healthz", basic: password, html: false) else { return false }
            return reply.status == 200
        }
        guard started else {
            harness.stop()
            throw ClusterError("the console never reported healthy: \(harness.log().suffix(2000))")
        }
        return harness
    }

    func log() -> String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }

    /// Another browser: curl with a cookie jar of its own, in the first client's folder (so it
    /// goes when the harness stops).
    func newClient() throws -> any ConsoleClient {
        try CurlClient(port: port, folder: client.folder + "/other-\(UUID().uuidString)")
    }

    func stop() {
        if agent.isRunning {
            agent.terminate()
            agent.waitUntilExit()
        }
        client.remove()
        try? FileManager.default.removeItem(atPath: backupDirectory)
        try? FileManager.default.removeItem(atPath: errors)
    }
}

/// `backup-agent run` as ``launchProduct(_:_:environment:output:)`` starts it (the log appended to
/// `log`), but with the soft limit of open files `openFiles`: prlimit sets it and execs the agent,
/// so the process is the agent itself.
private func launchAgent(openFiles: UInt, environment: [String: String], log: String) throws -> Process {
    guard let hard = FileDescriptorLimit.current()?.hard else { throw ClientError("cannot read this process's limit of open files") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
    process.arguments = ["--nofile=\(openFiles):\(hard)", "--", try BuiltProducts.executable("backup-agent"), "run"]
    var env = environment
    env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
    let handle = FileHandle(forWritingAtPath: log)
    handle?.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}
