import Foundation
import LaterbaseTestSupport
import Testing

/// Files and folders get their modes whatever the umask the agent runs under.
@Suite("file modes under any umask", .timeLimit(.minutes(5)))
struct FileModesTests {
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test("umask 000: .laterbase is 0700, the backups and their folder keep their modes")
    func umaskZero() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1, blobKilobytes: 8)
            let pass = try await runProduct("backup-agent", ["backup"], environment: agent.environment(), umask: 0)
            try #require(pass.status == 0, "\(pass.stderr)")
            let file = try #require(agent.backups(of: "Resolve").first)
            let state = agent.backupDirectory + "/.laterbase"
            #expect(Self.mode(state) == 0o700, "\(String(Self.mode(state) ?? 0, radix: 8))")
            #expect(Self.mode(agent.path("Resolve", "")) == 0o750)
            #expect(Self.mode(agent.path("Resolve", file)) == 0o640)
            #expect(Self.mode(agent.path("Resolve", file.replacingOccurrences(of: ".sql.gz", with: ".json"))) == 0o640)
            #expect(Self.mode(state + "/globals.sql") == 0o600)
            #expect(Self.mode(state + "/state.json") == 0o644)
            #expect(Self.mode(state + "/lock").map { $0 & 0o022 } == 0, "the lock file is writable by others")
        }
    }
}
