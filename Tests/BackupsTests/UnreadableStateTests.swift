import Foundation
import LaterbaseTestSupport
import Testing

/// A state file that cannot be read reaches the user as one sentence naming it and what to do,
/// never as Foundation's `DecodingError…` / `NSCocoaErrorDomain…` text.
@Suite("unreadable state files", .timeLimit(.minutes(5)))
struct UnreadableStateTests {
    @Test("a damaged state.json: healthcheck and prune say so in one line")
    func damagedState() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1, blobKilobytes: 8)
            try #require(try await agent.run(["backup"]).status == 0)
            let state = agent.backupDirectory + "/.laterbase/state.json"
            try Data("{\"lastPass\": {\"startedAt\": 12".utf8).write(to: URL(fileURLWithPath: state))
            for command in [["healthcheck"], ["prune"]] {
                let result = try await agent.run(command)
                #expect(result.status == 1, "\(command)")
                let text = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(!text.contains("DecodingError") && !text.contains("NSCocoaErrorDomain") && !text.contains("Context("), "\(command): \(text)")
                #expect(text.contains("cannot read \(state): it is not valid JSON"), "\(command): \(text)")
                #expect(!text.isEmpty && !text.contains("\n"), "\(command): \(text)")
            }
        }
    }
}
