import Foundation
@testable import LaterbaseCore
@testable import Standby
import Testing

@Suite("Rights a non-superuser PRIMARY_USER needs, and transient server states")
struct MonitoringRightsTests {
    @Test("a REPLICATION role without pg_read_all_stats or pg_promote fails the role check with the GRANTs")
    func grants() {
        let primary = PrimarySettings(host: "resolve.local", user: "replicator", password: Secret("x"))
        let preflight = Preflight(primary: primary, slotName: "laterbase_standby_slot", createSlot: true,
                                  localVersion: PostgresMajorVersion(code: 13), localBinary: "/pg")
        var facts = PreflightTests().healthyFacts()
        facts.isSuperuser = false
        facts.canReplicate = true
        facts.canReadStats = false
        facts.canPromote = false
        let role = preflight.evaluate(facts).first { $0.name == "role" }!
        #expect(role.outcome == .fail)
        #expect(role.line.contains("GRANT pg_read_all_stats TO \"replicator\";"))
        #expect(role.line.contains("GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO \"replicator\";"))
        facts.canReadStats = true
        facts.canPromote = true
        #expect(preflight.evaluate(facts).first { $0.name == "role" }!.outcome == .pass)
    }

    @Test("a receiver whose state is hidden is reported as such, not as stopped")
    func hiddenReceiver() {
        var state = ReplicationState(inRecovery: true)
        state.receiverHidden = true
        let verdict = HealthVerdict.judge(state, maxLagSeconds: 300, primary: "resolve:5432")
        #expect(!verdict.healthy)
        #expect(verdict.line.hasPrefix("unhealthy: the WAL receiver runs but PRIMARY_USER may not see its state"))
    }

    @Test("a stream that has been silent longer than the allowed lag is unhealthy, whatever the LSNs say")
    func silentStream() {
        let state = ReplicationState(inRecovery: true, receiverStatus: "streaming", receivedLSN: "0/5", replayedLSN: "0/5",
                                     lagBytes: 0, lastContactAgeSeconds: 901)
        let verdict = HealthVerdict.judge(state, maxLagSeconds: 300, primary: "resolve:5432")
        #expect(verdict == HealthVerdict(healthy: false, line: "unhealthy: no message from the primary resolve:5432 for 901 s, over HEALTH_MAX_LAG_SECONDS=300"))
        let fresh = ReplicationState(inRecovery: true, receiverStatus: "streaming", lagBytes: 0, lastContactAgeSeconds: 12)
        #expect(HealthVerdict.judge(fresh, maxLagSeconds: 300, primary: "resolve:5432").healthy)
    }

    @Test("a server starting up or out of connections counts as not reachable yet (first boot retries)", arguments: [
        "connection to server at \"10.0.0.5\", port 5432 failed: FATAL:  the database system is starting up",
        "connection to server at \"10.0.0.5\", port 5432 failed: FATAL:  sorry, too many clients already",
    ])
    func transient(message: String) {
        #expect(PostgresError.connectionKind(for: message).0 == .unreachable)
    }

    @Test("every command error is printed on one line")
    func oneLine() {
        #expect(CommandErrors.classify(CommandFailure("first\nsecond  ")).message == "first second")
    }
}
