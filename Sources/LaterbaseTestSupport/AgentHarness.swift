import Backups
import Foundation
import LaterbaseCore

/// Runs the built `backup-agent` against a test cluster with a private backup folder.
public struct AgentHarness {
    public let cluster: PostgresCluster
    public let backupDirectory: String

    public init(cluster: PostgresCluster) throws {
        self.cluster = cluster
        backupDirectory = NSTemporaryDirectory() + "laterbase-backups-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: backupDirectory, withIntermediateDirectories: true)
    }

    /// A cluster with a Resolve-like library "Resolve", one backup of it made by the agent, and a
    /// copy whose restore stalls inside psql's transaction (``StallingBackup``): the start of every
    /// test that stops a restore mid-feed. `body` gets the stalling copy's `folder/file`.
    public static func withStallingBackup(projects: Int, blobKilobytes: Int,
                                          _ body: (PostgresCluster, AgentHarness, String) async throws -> Void) async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: projects, blobKilobytes: blobKilobytes)
            let pass = try await agent.run(["backup"])
            guard pass.status == 0 else { throw ClusterError("backup-agent backup failed: \(pass.stderr)") }
            try await body(cluster, agent, try await StallingBackup.make(of: "Resolve", in: agent.backupDirectory))
        }
    }

    public func environment(_ extra: [String: String] = [:]) -> [String: String] {
        cluster.agentEnvironment(backupDirectory: backupDirectory, extra)
    }

    public func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProduct("backup-agent", arguments, environment: environment(extra))
    }

    /// Starts the agent without waiting for it (for kill and SIGTERM tests); its standard error
    /// goes to the file `errors` when given.
    public func start(_ arguments: [String], _ extra: [String: String] = [:], errors: String? = nil) throws -> Process {
        try launchProduct("backup-agent", arguments, environment: environment(extra), output: errors.map { .errors(toFile: $0) } ?? .discard)
    }

    /// Names in a database's backup folder (hidden files included), sorted.
    public func files(of database: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: backupDirectory + "/" + BackupLayout.folderName(for: database))) ?? []).sorted()
    }

    public func backups(of database: String) -> [String] { files(of: database).filter { $0.hasSuffix(".sql.gz") && !$0.hasPrefix(".") } }

    public func manifest(of database: String, file: String) throws -> BackupManifest {
        let path = backupDirectory + "/" + BackupLayout.folderName(for: database) + "/" + file
        return try BackupManifest.decode(try Data(contentsOf: URL(fileURLWithPath: BackupLayout.manifestPath(forBackup: path))))
    }

    public func path(_ database: String, _ file: String) -> String {
        backupDirectory + "/" + BackupLayout.folderName(for: database) + "/" + file
    }

    public func remove() { try? FileManager.default.removeItem(atPath: backupDirectory) }

    /// Restores a backup file into a new database with `gunzip | psql`, as a user would.
    public func restoreWithPsql(_ file: String, of database: String, into target: String) async throws {
        try await cluster.createDatabase(target)
        let script = "gzip -dc \"$1\" | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p \(cluster.port) -U postgres -d \"$2\" >/dev/null"
        var process = ChildProcess("/bin/sh", ["-c", script, "sh", path(database, file), target])
        process.secretEnvironment = ["PGPASSWORD": cluster.password]
        _ = try await process.output()
    }
}
