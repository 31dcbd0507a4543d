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
                     directory: String? = nil, openFiles: UInt? = nil, extra: [String: String] = [:],
                     ready: (@Sendable (ConsoleHarness) async -> Bool)? = nil,
                     _ body: (ConsoleHarness) async throws -> Void) async throws {
        try await PostgresCluster.withCluster(.init(replication: replication)) { cluster in
            try await cluster.createDatabase(library)
            try await ResolveFixture.populate(cluster, database: library, projects: projects, blobKilobytes: blobKilobytes)
            let harness = try await start(cluster, port: port, directory: directory, openFiles: openFiles, extra: extra, ready: ready)
            defer { harness.stop() }
            try await body(harness)
        }
    }

    private static func start(_ cluster: PostgresCluster, port chosen: Int?, directory given: String?, openFiles: UInt?, extra: [String: String] = [:],
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
        ].merging(extra) { _, new in new })
        // With `openFiles`, prlimit sets the soft limit and execs the agent (the hard limit stays ours).
        var wrapper: [String] = []
        if let openFiles {
            guard let hard = FileDescriptorLimit.current()?.hard else { throw ClientError("cannot read this process's limit of open files") }
            wrapper = ["/usr/bin/prlimit", "--nofile=\(openFiles):\(hard)", "--"]
        }
        let process = try launchProduct("backup-agent", ["run"], environment: environment, output: .log(appendingTo: errors), through: wrapper)
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

