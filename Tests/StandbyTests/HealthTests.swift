import Foundation
@testable import LaterbaseCore
@testable import Standby
import Testing

@Suite("Health, status and replication state (pure)")
struct HealthTests {
    func streaming(lagBytes: Int64 = 0, replayAge: Double? = 5000) -> ReplicationState {
        ReplicationState(inRecovery: true, receiverStatus: "streaming", senderHost: "10.0.0.5", senderPort: 5432,
                         slotName: "s", receivedLSN: "0/30", replayedLSN: "0/30", lagBytes: lagBytes, replayAgeSeconds: replayAge)
    }

    @Test("an idle primary is not lag: everything received is replayed, however old the last transaction")
    func idlePrimary() {
        let verdict = HealthVerdict.judge(streaming(lagBytes: 0, replayAge: 86_400), maxLagSeconds: 300, primary: "p:5432")
        #expect(verdict.healthy)
        #expect(verdict.line == "healthy: streaming from p:5432, lag 0 bytes, 0 s")
    }

    @Test("lag over the limit, receiver down, promoted, paused: unhealthy with the reason")
    func unhealthy() {
        #expect(!HealthVerdict.judge(streaming(lagBytes: 4096, replayAge: 301), maxLagSeconds: 300, primary: "p").healthy)
        #expect(HealthVerdict.judge(streaming(lagBytes: 4096, replayAge: 12), maxLagSeconds: 300, primary: "p").healthy)
        var down = streaming()
        down.receiverStatus = nil
        #expect(HealthVerdict.judge(down, maxLagSeconds: 300, primary: "p:1").line == "unhealthy: the WAL receiver is not running: no stream from the primary p:1")
        down.receiverStatus = "waiting"
        #expect(HealthVerdict.judge(down, maxLagSeconds: 300, primary: "p").line.contains("is waiting"))
        #expect(HealthVerdict.judge(ReplicationState(inRecovery: false), maxLagSeconds: 300, primary: "p").line.contains("promoted"))
        var paused = streaming()
        paused.replayPaused = true
        #expect(!HealthVerdict.judge(paused, maxLagSeconds: 300, primary: "p").healthy)
    }

    @Test("the state query's row parses into values")
    func parseRow() {
        let row = QueryResult(columns: ["in_recovery", "paused", "status", "sender_host", "sender_port", "slot_name", "received", "replayed",
                                        "lag_bytes", "replay_age", "last_contact", "contact_age", "timeline"],
                              rows: [["t", "f", "streaming", "10.0.0.5", "5432", "s", "0/3000148", "0/3000100", "72", "1.5", "2026-05-24 10:00:00+00", "0.2", "1"]])
        let state = ReplicationState(row)
        #expect(state.inRecovery && !state.replayPaused)
        #expect(state.senderPort == 5432 && state.lagBytes == 72 && state.lagSeconds == 1.5 && state.timeline == 1)
    }

    @Test("status warns about a slot nobody uses, with the SQL to drop it")
    func slotWarnings() {
        let idle = SlotFacts(type: "physical", active: false, retainedBytes: 3 * 1_073_741_824)
        let warnings = StandbyStatusReport.warnings(slot: "s", role: "down", primaryReachable: true, slotLooked: true, slotFacts: idle)
        #expect(warnings.count == 1)
        #expect(warnings[0].contains("keeps 3.0 GB of WAL") && warnings[0].contains("SELECT pg_drop_replication_slot('s');"))
        let active = SlotFacts(type: "physical", active: true, retainedBytes: 1024)
        #expect(StandbyStatusReport.warnings(slot: "s", role: "standby", primaryReachable: true, slotLooked: true, slotFacts: active).isEmpty)
        #expect(StandbyStatusReport.warnings(slot: "s", role: "standby", primaryReachable: true, slotLooked: true, slotFacts: nil)[0].contains("does not exist"))
        #expect(StandbyStatusReport.warnings(slot: "s", role: "primary", primaryReachable: true, slotLooked: true, slotFacts: idle)[0].contains("was promoted"))
    }

    @Test("the JSON report carries the fields a monitor reads")
    func json() throws {
        var environment = ["PRIMARY_HOST": "resolve"]
        environment["PGPORT"] = "5433"
        let settings = try StandbySettings(environment: EnvironmentReader(environment))
        let report = StandbyStatusReport.build(settings: settings, state: streaming(lagBytes: 10, replayAge: 2), localError: nil,
                                               primaryReachable: true, slotLooked: true, slotFacts: SlotFacts(type: "physical", active: true, retainedBytes: 10))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["role"] as? String == "standby")
        #expect(object["lagBytes"] as? Int == 10)
        #expect(object["receiverStatus"] as? String == "streaming")
        #expect(object["primary"] as? String == "resolve:5432")
        #expect((object["primarySlot"] as? [String: Any])?["retainedBytes"] as? Int == 10)
        #expect(report.text.contains("primary slot:  active, keeps 10 bytes of WAL"))
    }

    @Test("promote's instructions name port 5432 and how to publish another port")
    func promoteInstructions() {
        let direct = Promotion.instructions(localPort: 5432, slot: "s", oldPrimary: "resolve:5432").joined(separator: "\n")
        #expect(direct.contains("port 5432") && direct.contains("Do not start the old Resolve server"))
        let mapped = Promotion.instructions(localPort: 5433, slot: "s", oldPrimary: "r").joined(separator: "\n")
        #expect(mapped.contains("\"5432:5433\""))
    }
}
