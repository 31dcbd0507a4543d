import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Restores started from the console's pages, against real backups of a real PostgreSQL:
/// in-process, and a whole restore also over real HTTP against the launched agent.
@Suite("console: restore, verify, metrics", .timeLimit(.minutes(5)))
struct ConsoleRestoreTests {
    static func waitForOutcome(_ client: some ConsoleClient, timeout: Duration = .seconds(120)) async throws -> String {
        var page = ""
        _ = await poll(timeout: timeout, every: .milliseconds(250)) {
            page = (try? await client.send("GET", "/jobs").body) ?? ""
            return page.contains(#"id="outcome""#)
        }
        return page
    }

    @Test("a restore started from the page completes; the new library holds the projects; an existing name is refused",
          arguments: ConsoleTransport.allCases)
    func restoreFromPage(_ transport: ConsoleTransport) async throws {
        try await transport.with { console in
            let client = console.client
            let token = try await client.logIn(password: console.password)
            let file = console.newestBackup()
            let form = try await client.send("GET", "/restore?file=" + FormText.escape(file))
            #expect(form.status == 200 && form.body.contains("Demo Library restored "))

            let started = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", "Demo Library from the console")])
            #expect(started.status == 303 && started.header("location") == "/jobs", "\(started.status) \(started.body.prefix(300))")
            let page = try await Self.waitForOutcome(client)
            #expect(page.contains("Restored in"), "\(page)")
            #expect(page.contains("of SQL fed (100 %)"))
            let projects = try await console.cluster.query(#"SELECT count(*) FROM "SM_Project""#, database: "Demo Library from the console")
            #expect(projects.scalar == "3")
            let encoding = try await console.cluster.query("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'Demo Library from the console'")
            #expect(encoding.scalar == "UTF8")

            // The same name again, the live library's name, and a name PostgreSQL would cut short.
            for name in ["Demo Library from the console", "Demo Library"] {
                let refused = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", name)])
                #expect(refused.status == 409 && refused.body.contains("already exists"), "\(name): \(refused.status)")
            }
            let long = String(repeating: "x", count: 64)
            let tooLong = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", long)])
            #expect(tooLong.status == 409 && tooLong.body.contains("63 bytes"), "\(tooLong.status) \(tooLong.body.prefix(400))")
            let empty = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", " ")])
            #expect(empty.status == 409)
            let rows = try await console.cluster.query("SELECT count(*) FROM pg_database WHERE datname LIKE 'xxxx%'")
            #expect(rows.scalar == "0")

            let verified = try await client.send("POST", "/verify", form: [("csrf", token), ("file", file)])
            #expect(verified.status == 200 && verified.body.contains("OK: ") && verified.body.contains("matches its manifest"), "\(verified.body.prefix(500))")

            let search = try await client.send("GET", "/search?project=" + FormText.escape("café"))
            #expect(search.body.contains("O&#39;Brien – Café 東京"), "search by part of a name, any case")
            #expect(search.body.contains(FormText.escape(file)) || search.body.contains("/restore?file="))

            let metrics = try await client.send("GET", "/metrics", basic: console.password, html: false)
            let series = try PrometheusText.parse(metrics.body)
            #expect(series[#"laterbase_console_restores_total{outcome="succeeded"}"#] == 1)
            #expect(series["laterbase_console_restore_running"] == 0)
            #expect(series["laterbase_primary_up"] == 1)
            #expect(series["laterbase_backup_healthy"] == 1)
            #expect(series[#"laterbase_backup_last_pass_ok{database="Demo Library"}"#] == 1)
            #expect(series[#"laterbase_backup_files{database="Demo Library"}"#] == 1)
            let age = try #require(series[#"laterbase_backup_newest_age_seconds{database="Demo Library"}"#])
            #expect(age >= 0 && age < 600)
            #expect((series[#"laterbase_backup_newest_bytes{database="Demo Library"}"#] ?? 0) > 1000)
        }
    }

    @Test("a running restore is the only one, survives the page, and a cancel drops its new library")
    func cancelRestore() async throws {
        try await InProcessConsole.with { console in
            let client = console.client
            let token = try await client.logIn(password: console.password)
            // Its restore waits inside psql's transaction until cancelled: no race with the machine's speed.
            let file = try await console.stallingBackup()
            let started = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", "big_restore")])
            #expect(started.status == 303)
            let second = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", "second_restore")])
            #expect(second.status == 409 && second.body.contains("one restore at a time"), "\(second.status)")
            try #require(await console.waitForStalledRestore(), "the restore never reached its last statement")
            // A second browser (another session) sees the same running job.
            let other = console.newClient()
            _ = try await other.logIn(password: console.password)
            let running = try await other.send("GET", "/jobs")
            #expect(running.body.contains("big_restore") && running.body.contains("Cancel the restore"), "\(running.body.prefix(600))")
            #expect(running.body.contains(#"http-equiv="refresh""#))

            #expect(try await client.send("POST", "/jobs/cancel", form: [("csrf", token)]).status == 303)
            let page = try await Self.waitForOutcome(client)
            #expect(page.contains("Cancelled"), "\(page)")
            let left = try await console.cluster.query("SELECT datname FROM pg_database WHERE datname IN ('big_restore', 'second_restore')")
            #expect(left.rows.isEmpty, "left behind: \(left.rows)")
            let metrics = try PrometheusText.parse(try await client.send("GET", "/metrics", basic: console.password, html: false).body)
            #expect(metrics[#"laterbase_console_restores_total{outcome="cancelled"}"#] == 1)
        }
    }
}
