import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Synchronization
@testable import Restore
import Testing

/// The parallel restore of a dump (`RESTORE_JOBS`) against a real server: the same library as
/// `gunzip | psql --single-transaction`, and every failure — a damaged byte, a row PostgreSQL
/// refuses, a checksum that does not match at the end, a cancel while the sessions work — leaves
/// no database and one line.
@Suite("parallel restore of a dump", .timeLimit(.minutes(5)))
struct ParallelRestoreTests {
    /// Every object kind a Resolve library has and a few it might: sequences, keys and a foreign
    /// key, an index, a view, a materialized view with an index, a function and a trigger, a
    /// comment, text that looks like COPY's end and like an entry header.
    static let extras = #"""
        CREATE TABLE parent (id serial PRIMARY KEY, name text UNIQUE);
        CREATE TABLE child (id bigserial PRIMARY KEY, parent_id int REFERENCES parent(id), payload bytea, note text);
        CREATE INDEX child_parent ON child (parent_id);
        INSERT INTO parent (name) SELECT 'p' || g FROM generate_series(1, 300) g;
        INSERT INTO child (parent_id, payload, note)
            SELECT 1 + g % 300, decode(repeat('ab', 300), 'hex'), E'line\nwith \\. and\ttab ' || g FROM generate_series(1, 4000) g;
        INSERT INTO child (parent_id, note) VALUES (1, E'\\.'), (2, E'\n-- Name: x; Type: INDEX; Schema: public; Owner: postgres\n');
        CREATE VIEW child_counts AS SELECT parent_id, count(*) AS n FROM child GROUP BY parent_id;
        CREATE MATERIALIZED VIEW child_total AS SELECT count(*) AS n FROM child;
        CREATE INDEX child_total_n ON child_total (n);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
        -- Name: fake; Type: INDEX; Schema: public; Owner: postgres
          RETURN NEW;
        END $$;
        CREATE TRIGGER child_touch BEFORE UPDATE ON child FOR EACH ROW EXECUTE FUNCTION touch();
        COMMENT ON TABLE child IS 'rows of a parent';
        CREATE SEQUENCE standalone START 42;
        SELECT nextval('standalone');
        """#

    /// A cluster with the library "Resolve" (the fixture and ``extras``) and the agent's backup of it.
    static func withBackup(_ body: (PostgresCluster, AgentHarness, StoredBackup) async throws -> Void) async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 4, blobKilobytes: 64)
            try await cluster.execute(extras, database: "Resolve")
            let pass = try await agent.run(["backup"])
            try #require(pass.status == 0, "\(pass.stderr)")
            let backup = try #require(StoredBackup.all(in: BackupLayout(root: agent.backupDirectory)).first)
            try await body(cluster, agent, backup)
        }
    }

    static func schema(_ cluster: PostgresCluster, _ database: String) async throws -> String {
        var dump = ChildProcess(try cluster.tools.require("pg_dump"), ["--schema-only", "--no-owner"])
        dump.connect(to: cluster.parameters(database: database), application: "test")
        // psql's \restrict keys are random per dump.
        return try await dump.output().split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }

    static func rowCounts(_ cluster: PostgresCluster, _ database: String) async throws -> [String] {
        let tables = try await cluster.query("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1", database: database).rows.compactMap { $0[0] }
        var counts: [String] = []
        for table in tables {
            counts.append("\(table): " + (try await cluster.query("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \(table) t", database: database).scalar ?? ""))
        }
        return counts + ["seq " + (try await cluster.query("SELECT last_value || ' ' || is_called FROM standalone", database: database).scalar ?? "")]
    }

    static func leftovers(_ cluster: PostgresCluster) async throws -> [String] {
        try await cluster.query("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1', 'Resolve', 'By psql') ORDER BY 1").rows.compactMap { $0[0] }
    }

    @Test("three sessions give the same schema and rows as gunzip | psql --single-transaction; the checksum is checked in the same pass")
    func sameLibrary() async throws {
        try await Self.withBackup { cluster, agent, backup in
            try await agent.restoreWithPsql(backup.file, of: "Resolve", into: "By psql")
            let target = RestoreTarget(server: cluster.parameters(), logger: Logger(label: "test"), jobs: 3)
            let fed = Mutex<Int64>(0)
            let restored = try await target.newLibrary(named: "By three").restore(from: DumpSource(backup) { bytes in fed.withLock { $0 = bytes } })
            #expect(restored.name == "By three")
            #expect(fed.withLock { $0 } == backup.manifest?.rawBytes)
            #expect(try await Self.schema(cluster, "By three") == (try await Self.schema(cluster, "By psql")))
            let counts = try await Self.rowCounts(cluster, "By three")
            #expect(counts == (try await Self.rowCounts(cluster, "By psql")))
            #expect(counts.contains { $0.hasPrefix("public.child: 4002 ") }, "\(counts)")
            #expect(try await ResolveFixture.digests(cluster, database: "By three") == (try await ResolveFixture.digests(cluster, database: "Resolve")))
            #expect(try await cluster.sessions(application: "laterbase-restore") == 0)
        }
    }

    /// The dump's SQL, changed by `edit`, written back as a backup one second newer with a
    /// manifest that matches the new bytes (or not, with `keepOldChecksum`).
    static func altered(_ backup: StoredBackup, in root: String, keepOldChecksum: Bool = false, _ edit: (String) -> String) async throws -> StoredBackup {
        var sql = ""
        _ = try await GzipReader.read(backup.path) { sql += String(decoding: $0, as: UTF8.self) }
        let file = BackupLayout.fileName(database: backup.database, at: backup.time.addingTimeInterval(1))
        let path = (backup.path as NSString).deletingLastPathComponent + "/" + file
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(descriptor) }
        let writer = ParallelGzipWriter(descriptor: descriptor, level: 1)
        try await writer.write(Array(edit(sql).utf8))
        _ = try await writer.finish()
        var manifest = try #require(backup.manifest)
        let written = try await GzipReader.read(path)
        manifest.file = file
        if !keepOldChecksum { manifest.sha256 = written.sha256 }
        manifest.rawBytes = written.rawBytes
        manifest.compressedBytes = written.compressedBytes
        manifest.unchangedFrom = nil
        try manifest.encoded().write(to: URL(fileURLWithPath: BackupLayout.manifestPath(forBackup: path)))
        return try #require(StoredBackup.all(in: BackupLayout(root: root)).first { $0.file == file })
    }

    @Test("a row PostgreSQL refuses, a damaged byte, a checksum that differs only at the end: no database left, one line")
    func failures() async throws {
        try await Self.withBackup { cluster, agent, backup in
            let target = RestoreTarget(server: cluster.parameters(), logger: Logger(label: "test"), jobs: 2)
            // A COPY row of the child table with a word where a number belongs.
            let badRow = try await Self.altered(backup, in: agent.backupDirectory) { sql in
                guard let copy = sql.range(of: "COPY public.child ("), let line = sql[copy.upperBound...].range(of: "\n") else { return sql }
                return sql.replacingCharacters(in: line.upperBound..<line.upperBound, with: "not-a-number\t1\t\\N\tx\n")
            }
            await #expect {
                try await target.newLibrary(named: "Bad row").restore(from: DumpSource(badRow))
            } throws: { error in
                let text = "\(error)"
                return (error as? RestoreError)?.code == .failed && text.contains("invalid input syntax") && !text.contains("\n")
            }
            // Whole and valid gzip, but not the file its manifest describes: found after the last byte.
            let differs = try await Self.altered(backup, in: agent.backupDirectory, keepOldChecksum: true) { $0 + "\n-- one more line\n" }
            await #expect {
                try await target.newLibrary(named: "Differs").restore(from: DumpSource(differs))
            } throws: { error in
                (error as? RestoreError)?.code == .checksumMismatch && "\(error)".contains("does not match its manifest")
            }
            // A flipped byte in the middle of the compressed file.
            let damagedPath = backup.path + ".damaged"
            try FileManager.default.copyItem(atPath: backup.path, toPath: damagedPath)
            let handle = try #require(FileHandle(forUpdatingAtPath: damagedPath))
            try handle.seek(toOffset: UInt64(backup.size / 2))
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: UInt64(backup.size / 2))
            try handle.write(contentsOf: Data([byte ^ 0x5A]))
            try handle.close()
            try FileManager.default.removeItem(atPath: backup.path)
            try FileManager.default.moveItem(atPath: damagedPath, toPath: backup.path)
            await #expect {
                try await target.newLibrary(named: "Damaged").restore(from: DumpSource(backup))
            } throws: { error in
                !"\(error)".contains("\n")
            }
            #expect(try await Self.leftovers(cluster) == [])
            #expect(try await cluster.sessions(application: "laterbase-restore") == 0)
        }
    }

    @Test("cancelled while the sessions work (SIGTERM of a command, Cancel in the console): every session stopped, nothing left")
    func cancelled() async throws {
        try await AgentHarness.withStallingBackup(projects: 4, blobKilobytes: 64) { cluster, agent, stalling in
            let backup = try StoredBackup.find(stalling, in: BackupLayout(root: agent.backupDirectory))
            let target = RestoreTarget(server: cluster.parameters(), logger: Logger(label: "test"), jobs: 2)
            let library = try await target.newLibrary(named: "Cancelled")
            let task = Task { try await library.restore(from: DumpSource(backup)) }
            try #require(await StallingBackup.waitUntilStalled(cluster), "no session reached the backup's last statement")
            task.cancel()
            await #expect(throws: (any Error).self) { try await task.value }
            #expect(try await cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'Cancelled' OR datname LIKE 'laterbase_restoring_%'").scalar == "0")
            #expect(try await cluster.sessions(application: "laterbase-restore") == 0)
        }
    }
}
