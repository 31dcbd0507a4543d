import Foundation
import LaterbaseTestSupport
import Testing

/// A project name is whatever an editor typed (or pasted): `list` must show it without letting
/// its control characters drive the operator's terminal.
@Suite("names printed escaped", .timeLimit(.minutes(5)))
struct EscapedNamesTests {
    @Test("a project named with ESC[2J and a newline prints escaped in list")
    func escapedProjectName() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1, blobKilobytes: 8)
            try await cluster.execute(#"""
                INSERT INTO "SM_Project" ("SM_Project_id", "ProjectName", "LastModTimeInSecs")
                VALUES (gen_random_uuid(), E'Evil\x1b[2J\nName\x1b]0;owned\x07', 1790000100)
                """#, database: "Resolve")
            let pass = try await agent.run(["backup"])
            try #require(pass.status == 0, "\(pass.stderr)")

            let list = try await agent.run(["list", "--project", "Evil"])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(!list.stdout.contains("\u{1B}") && !list.stdout.contains("\u{07}"), "raw control characters: \(list.stdout.debugDescription)")
            #expect(list.stdout.contains(#""Evil\u{1B}[2J\u{A}Name\u{1B}]0;owned\u{7}""#), "\(list.stdout.debugDescription)")
            #expect(!list.stdout.split(separator: "\n").contains { $0.hasPrefix("Name") }, "the name broke the line")
            // JSON escapes by itself; the name arrives intact for scripts.
            let json = try await agent.run(["list", "--json"])
            #expect(json.stdout.contains(#"Evil\u001b[2J\nName"#) || !json.stdout.contains("\u{1B}"))
        }
    }
}
