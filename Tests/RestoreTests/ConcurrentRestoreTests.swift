import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Two restores racing for one new name: one makes the library, the other is refused with the
/// one-line "already exists" — never PostgreSQL's duplicate key on pg_database, never a library
/// written into.
@Suite("concurrent restores to one name", .timeLimit(.minutes(5)))
struct ConcurrentRestoreTests {
    @Test("two restores to one name at once: one succeeds, the other gets the one-line refusal")
    func raceForOneName() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            // Big enough that both restores are past the name check before either finishes.
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 4, blobKilobytes: 1024)
            let pass = try await agent.run(["backup"])
            try #require(pass.status == 0, "\(pass.stderr)")
            let file = try #require(agent.backups(of: "Resolve").first)

            let environment = agent.environment()
            async let first = runProduct("backup-agent", ["restore", file, "--as", "Twin"], environment: environment)
            async let second = runProduct("backup-agent", ["restore", file, "--as", "Twin"], environment: environment)
            let results = try await [first, second]
            #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map(\.stderr))")
            let refused = try #require(results.first { $0.status != 0 })
            #expect(refused.status == 1)
            let line = refused.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(line.contains("database \"Twin\"") && line.contains("already exists"), "\(line)")
            #expect(!line.contains("\n") && !line.contains("duplicate key") && !line.contains("pg_database_datname_index"), "\(line)")
            let names = try await cluster.query("SELECT datname FROM pg_database WHERE datname = 'Twin' OR datname LIKE 'laterbase_restoring_%'").rows
            #expect(names.map { $0[0] } == ["Twin"], "\(names)")
            #expect(try await ResolveFixture.digests(cluster, database: "Twin") == ResolveFixture.digests(cluster, database: "Resolve"))
        }
    }
}
