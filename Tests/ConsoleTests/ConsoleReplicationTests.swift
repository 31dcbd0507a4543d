import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// The overview and /metrics (in-process) read the standby's state from the primary itself
/// (`pg_stat_replication`, `pg_replication_slots`), with a real standby-entrypoint standby.
@Suite("console: the standby as the primary reports it", .timeLimit(.minutes(5)))
struct ConsoleReplicationTests {
    @Test("a streaming standby: role, lag and its slot; once it stops: the slot inactive and the WAL it holds")
    func standbyAndSlot() async throws {
        try await InProcessConsole.with(replication: true) { console in
            try await StandbyProcess.withStandby(primary: console.cluster) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                let client = console.client
                let slot = "laterbase_standby_slot"
                var page = ""
                let streaming = await poll(timeout: .seconds(30), every: .milliseconds(500)) {
                    page = (try? await client.send("GET", "/", basic: console.password).body) ?? ""
                    return page.contains("standby (async)") && page.contains("streaming")
                }
                #expect(streaming, "\(page)")
                #expect(page.contains(slot))
                var metrics = try PrometheusText.parse(try await client.send("GET", "/metrics", basic: console.password, html: false).body)
                #expect(metrics[#"laterbase_replication_slot_active{slot="\#(slot)"}"#] == 1)
                #expect(metrics[#"laterbase_replication_replay_lag_seconds{application="\#(slot)"}"#] != nil)
                #expect(metrics[#"laterbase_replication_replay_lag_bytes{application="\#(slot)"}"#] != nil)

                // The standby goes away; its slot keeps WAL on the primary, and the console says so.
                await standby.destroy()
                try await console.cluster.execute("CREATE TABLE wal_filler AS SELECT g, md5(g::text) FROM generate_series(1, 200000) g")
                let inactive = await poll(timeout: .seconds(30), every: .milliseconds(500)) {
                    guard let body = try? await client.send("GET", "/metrics", basic: console.password, html: false).body,
                          let parsed = try? PrometheusText.parse(body) else { return false }
                    metrics = parsed
                    return parsed[#"laterbase_replication_slot_active{slot="\#(slot)"}"#] == 0
                }
                #expect(inactive)
                let retained = metrics[#"laterbase_replication_slot_retained_bytes{slot="\#(slot)"}"#] ?? 0
                print("measured: WAL held on the primary by the stopped standby's slot: \(Int(retained)) bytes")
                #expect(retained > 1_000_000, "the slot holds \(retained) bytes")
                page = try await client.send("GET", "/", basic: console.password).body
                #expect(page.contains("No standby or WAL receiver is connected"), "\(page.prefix(3000))")
            }
        }
    }
}
