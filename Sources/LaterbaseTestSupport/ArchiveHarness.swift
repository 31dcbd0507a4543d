import Foundation
import LaterbaseCore
import UndoWindow

/// `backup-agent run` with the WAL archive on, against a replication-enabled test cluster, with
/// a private backup folder; helpers for the undo-window tests.
public struct ArchiveHarness {
    public let cluster: PostgresCluster
    public let backupDirectory: String
    public var layout: ArchiveLayout { ArchiveLayout(root: backupDirectory) }

    public init(cluster: PostgresCluster) throws {
        self.cluster = cluster
        backupDirectory = NSTemporaryDirectory() + "laterbase-wal-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: backupDirectory, withIntermediateDirectories: true)
    }

    /// Starts a replication-enabled cluster with a Resolve-like library "Resolve" and runs `body`.
    public static func with(settings: [String] = [], _ body: (PostgresCluster, ArchiveHarness) async throws -> Void) async throws {
        var options = PostgresCluster.Options(replication: true)
        options.settings = settings
        try await PostgresCluster.withCluster(options) { cluster in
            let harness = try ArchiveHarness(cluster: cluster)
            defer { harness.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 16)
            try await cluster.execute(#"CREATE TABLE "Sm2TiItem" ("Sm2TiItem_id" uuid PRIMARY KEY, "Timeline" uuid, "Name" text)"#, database: "Resolve")
            try await body(cluster, harness)
        }
    }

    public func environment(_ extra: [String: String] = [:]) -> [String: String] {
        cluster.agentEnvironment(backupDirectory: backupDirectory, [
            "WAL_ARCHIVE": "on", "BACKUP_ON_START": "false", "BACKUP_SCHEDULE": "0 0 1 1 *", "PRIMARY_DBS": "Resolve",
        ].merging(extra) { _, new in new })
    }

    public func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProduct("backup-agent", arguments, environment: environment(extra))
    }

    /// Starts `backup-agent run`; its log goes to `agent.log` in the backup folder's parent.
    public func startAgent(_ extra: [String: String] = [:]) throws -> Process {
        try launchProduct("backup-agent", ["run"], environment: environment(extra), output: .log(appendingTo: backupDirectory + ".log"))
    }

    /// The agent's log so far, for failure messages.
    public var log: String { String(((try? String(contentsOfFile: backupDirectory + ".log", encoding: .utf8)) ?? "").suffix(3000)) }

    /// Waits until `count` base backups exist and the receiver streams.
    public func waitUntilArchiving(bases count: Int = 1, timeout: Duration = .seconds(90)) async -> Bool {
        await poll(timeout: timeout, every: .milliseconds(250)) {
            StoredBaseBackup.all(in: layout).count >= count && (ReceiverStatus.load(layout)?.isStreaming(now: Date()) ?? false)
        }
    }

    /// SIGTERM, then waits for the exit; returns the exit status (nil: still running after 30 s).
    public func stop(_ process: Process) async -> Int32? { await stopProduct(process) }

    /// Entries left in the scratch folder (none after any restore).
    public var scratchLeftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: layout.scratchDirectory)) ?? [] }

    public func databaseExists(_ name: String) async throws -> Bool {
        try await cluster.query("SELECT count(*) FROM pg_database WHERE datname = $1", [name]).scalar == "1"
    }

    /// SQL on the library "Resolve" of the test cluster, or of `server` (a promoted standby).
    public func execute(_ script: String, on server: ConnectionParameters? = nil) async throws {
        let target = (server ?? cluster.parameters()).with(database: "Resolve")
        try await PostgresConnection.withConnection(target) { _ = try $0.simpleQuery(script) }
    }

    /// Adds a timeline with `items` clips to the first project; returns the timeline's id.
    public func addTimeline(_ name: String, items: Int = 3, on server: ConnectionParameters? = nil) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await execute("""
            BEGIN;
            INSERT INTO "Sm2Timeline" VALUES ('\(id)', '\(name)', NULL);
            INSERT INTO "SM_Project_Sm2Timeline" SELECT "SM_Project_id", '\(id)' FROM "SM_Project" ORDER BY "ProjectName" LIMIT 1;
            INSERT INTO "Sm2TiItem" SELECT gen_random_uuid(), '\(id)', 'clip ' || i FROM generate_series(1, \(items)) i;
            COMMIT;
            """, on: server)
        return id
    }

    /// Deletes a timeline as Resolve does: its clips, its link to the project, the timeline.
    public func deleteTimeline(_ id: String) async throws {
        try await cluster.execute("""
            BEGIN;
            DELETE FROM "Sm2TiItem" WHERE "Timeline" = '\(id)';
            DELETE FROM "SM_Project_Sm2Timeline" WHERE "DbAssociate" = '\(id)';
            DELETE FROM "Sm2Timeline" WHERE "Sm2Timeline_id" = '\(id)';
            COMMIT;
            """, database: "Resolve")
    }

    /// Clips of a timeline in `database` (0 when it is gone), on the test cluster or `server`.
    public func clips(_ id: String, in database: String, on server: ConnectionParameters? = nil) async throws -> Int {
        let target = (server ?? cluster.parameters()).with(database: database)
        let result = try await PostgresConnection.withConnection(target) { connection in
            try connection.query(#"SELECT count(*) FROM "Sm2TiItem" i JOIN "SM_Project_Sm2Timeline" l ON l."DbAssociate" = i."Timeline" WHERE i."Timeline" = $1"#, [id])
        }
        return Int(result.scalar ?? "") ?? -1
    }

    /// `2026-11-24 14:34:59`, UTC, whole seconds (floored).
    public static func text(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: backupDirectory)
        try? FileManager.default.removeItem(atPath: backupDirectory + ".log")
        try? FileManager.default.removeItem(atPath: backupDirectory + ".bin")
    }
}
