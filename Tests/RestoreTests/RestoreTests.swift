import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// restore, list and verify with the built binary on a real server.
@Suite("restore, list, verify", .timeLimit(.minutes(5)))
struct RestoreTests {
    /// A cluster with one backed-up library "Resolve"; returns the backup's file name.
    private func withBackup(_ body: (PostgresCluster, AgentHarness, String) async throws -> Void) async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 3)
            let result = try await agent.run(["backup"])
            try #require(result.status == 0, "\(result.stderr)")
            let file = try #require(agent.backups(of: "Resolve").first)
            try await body(cluster, agent, file)
        }
    }

    private func databaseExists(_ cluster: PostgresCluster, _ name: String) async throws -> Bool {
        try await cluster.query("SELECT count(*) FROM pg_database WHERE datname = $1", [name]).scalar == "1"
    }

    @Test("restore into a new database equals the original, table by table, and says how to open it")
    func restore() async throws {
        try await withBackup { cluster, agent, file in
            let (status, stdout, stderr) = try await agent.run(["restore", file, "--as", "Resolve Restored 2026"])
            #expect(status == 0, "\(stderr)")
            #expect(stdout.contains("Project Manager"))
            #expect(stdout.contains("\"Resolve Restored 2026\""))
            let original = try await ResolveFixture.digests(cluster, database: "Resolve")
            #expect(try await ResolveFixture.digests(cluster, database: "Resolve Restored 2026") == original)
            let encoding = try await cluster.query("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'Resolve Restored 2026'")
            #expect(encoding.scalar == "UTF8")
        }
    }

    @Test("restore refuses an existing name and touches nothing")
    func existingName() async throws {
        try await withBackup { cluster, agent, file in
            try await cluster.execute(#"INSERT INTO "SM_Project" ("SM_Project_id", "ProjectName") VALUES (gen_random_uuid(), 'After the backup')"#, database: "Resolve")
            let before = try await ResolveFixture.digests(cluster, database: "Resolve")
            let (status, _, stderr) = try await agent.run(["restore", file, "--as", "Resolve"])
            #expect(status == 1)
            #expect(stderr == "database \"Resolve\" already exists on 127.0.0.1:\(cluster.port); restore never writes into an existing library: choose a new name with --as\n")
            #expect(try await ResolveFixture.digests(cluster, database: "Resolve") == before)
        }
    }

    @Test("a corrupt file is refused by restore and verify; no database is created")
    func corrupt() async throws {
        try await withBackup { cluster, agent, file in
            let path = agent.path("Resolve", file)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0x55
            try bytes.write(to: URL(fileURLWithPath: path))
            let (status, _, stderr) = try await agent.run(["restore", file, "--as", "Broken"])
            #expect(status == 1)
            #expect(stderr.contains("Resolve/\(file)") && (stderr.contains("does not match its manifest") || stderr.contains("is corrupt")))
            #expect(try await databaseExists(cluster, "Broken") == false)
            let verify = try await agent.run(["verify", file])
            #expect(verify.status == 1)
            #expect(verify.stdout.hasPrefix("FAIL  Resolve/\(file)"))
        }
    }

    @Test("a restore that fails midway leaves no database behind")
    func failureMidway() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2)
            // A table owned by a role that will be gone at restore time: the restore fails at
            // "ALTER TABLE … OWNER TO editor", after most of the data went in.
            try await cluster.execute(#"CREATE ROLE editor; CREATE TABLE "Sm2Zz" (x int); ALTER TABLE "Sm2Zz" OWNER TO editor"#, database: "Resolve")
            #expect(try await agent.run(["backup"]).status == 0)
            let file = try #require(agent.backups(of: "Resolve").first)
            try await cluster.execute(#"DROP TABLE "Sm2Zz"; DROP ROLE editor"#, database: "Resolve")
            let (status, _, stderr) = try await agent.run(["restore", file, "--as", "Half Restored"])
            #expect(status == 1)
            #expect(stderr.contains("role \"editor\" does not exist"), "\(stderr)")
            #expect(stderr.contains("\"Half Restored\" was removed again"))
            #expect(try await databaseExists(cluster, "Half Restored") == false)
        }
    }

    @Test("list shows backups newest first and finds the backups holding a project")
    func list() async throws {
        try await withBackup { cluster, agent, file in
            try await cluster.execute(#"DELETE FROM "SM_Project" WHERE "ProjectName" = 'Spot 2'"#, database: "Resolve")
            #expect(try await agent.run(["backup"], ["BACKUP_RETENTION_DAYS": "1"]).status == 0)
            let files = agent.backups(of: "Resolve")
            try #require(files.count == 2)
            let table = try await agent.run(["list"])
            #expect(table.status == 0)
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "Resolve:")
            #expect(lines[1].hasPrefix("  \(files[1])") && lines[1].contains("2 projects"))
            #expect(lines[2].hasPrefix("  \(files[0])") && lines[2].contains("3 projects"))

            let json = try await agent.run(["list", "--json"])
            let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(rows?.map { $0["file"] as? String } == [files[1], files[0]])

            let project = try await agent.run(["list", "--project", "spot 2"])
            #expect(project.status == 0)
            #expect(project.stdout.contains(file))
            #expect(!project.stdout.contains(files[1]))
            #expect(project.stdout.contains("\"Spot 2\" in /Clients/Commercials saved 2026-09-21"))
            let none = try await agent.run(["list", "--project", "Nope"])
            #expect(none.stdout == "no backup holds a project named \"Nope\"\n")
        }
    }

    @Test("verify: checksum and full decode, and a restore test that drops its scratch database")
    func verify() async throws {
        try await withBackup { cluster, agent, file in
            let plain = try await agent.run(["verify", "--all"])
            #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
            #expect(plain.stdout.hasPrefix("OK    Resolve/\(file)"))
            let deep = try await agent.run(["verify", file, "--restore-test"])
            #expect(deep.status == 0, "\(deep.stdout)\(deep.stderr)")
            #expect(deep.stdout.contains("restore test passed (3 projects)"))
            let scratch = try await cluster.query("SELECT count(*) FROM pg_database WHERE datname LIKE 'laterbase_verify_%' OR datname LIKE 'laterbase_restoring_%'")
            #expect(scratch.scalar == "0")
        }
    }
}
