@testable import Agent
@testable import Backups
import Foundation
import Testing

/// The agent's rule "nothing is pruned after a failed pass", for the pass's own retention and `prune` alike.
@Suite("retention blocker")
struct RetentionBlockerTests {
    @Test("retention is blocked exactly while the last recorded pass has a failed library, whoever asks")
    func retentionBlocker() {
        #expect(AgentRuntime.retentionBlocker(nil) == nil)
        #expect(AgentRuntime.retentionBlocker(AgentState()) == nil)
        var state = AgentState()
        var pass = AgentState.Pass(startedAt: Date(timeIntervalSince1970: 0))
        pass.succeeded = ["A"]
        state.lastPass = pass
        #expect(AgentRuntime.retentionBlocker(state) == nil)
        pass.failed = ["B": "cannot reach PostgreSQL"]
        // `backup --db A` after a failed full pass: the merged record still shows B failed.
        state.lastPass = BackupPass.merge(single: { var single = AgentState.Pass(startedAt: Date()); single.succeeded = ["A"]; return single }(), into: pass)
        #expect(AgentRuntime.retentionBlocker(state) == "the last backup pass failed for B; nothing is pruned until a pass succeeds")
    }
}
