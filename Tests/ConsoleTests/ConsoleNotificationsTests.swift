import Agent
import Backups
import Console
import Foundation
import HummingbirdTesting
import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Notify
import Testing
import UndoWindow

/// The console with notifications on: ``buildConsoleApplication(settings:runtime:logger:notifications:)``
/// in-process with the real ``AgentNotifications`` of `NOTIFY_URLS` (a real ``Notifier`` sending
/// through the real `apprise` to a real ``NotifyReceiver``). Without `cluster` the primary is
/// a port nobody answers on (the Notifications page needs no server); with one, a first backup
/// pass of its Resolve-like library is made.
struct NotifyingConsole: Sendable {
    let backupDirectory: String
    let password: String
    let client: InProcessClient
    let captured: LogCapture
    let notifications: AgentNotifications

    func log() -> String { captured.text }

    /// The relative path (`folder/file`) of the library's newest backup.
    func newestBackup() -> String {
        StoredBackup.all(in: BackupLayout(root: backupDirectory)).first { $0.database == ConsoleHarness.library }?.relativePath ?? ""
    }

    var notifier: Notifier {
        get throws { try #require(notifications.notifier) }
    }

    static func with(cluster: PostgresCluster?, _ extra: [String: String],
                     _ body: @escaping @Sendable (NotifyingConsole) async throws -> Void) async throws {
        // Short: a scratch server (export) keeps its socket below it.
        let directory = NSTemporaryDirectory() + "laterbase-cn-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let password = "console-\(UUID().uuidString.prefix(12))"
        let console = ["BACKUP_SCHEDULE": "0 0 1 1 *", "CONSOLE": "on", "CONSOLE_ADDRESS": "127.0.0.1", "CONSOLE_PASSWORD": password]
            .merging(extra) { _, new in new }
        let environment = EnvironmentReader(cluster?.agentEnvironment(backupDirectory: directory, console) ?? [
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": "1", "PRIMARY_USER": "postgres", "REPL_PASSWORD": "unused",
            "PRIMARY_SSLMODE": "disable", "BACKUP_DIR": directory, "TZ": "UTC",
        ].merging(console) { _, new in new })
        let captured = LogCapture()
        let logger = captured.logger()
        let settings = try BackupSettings(environment: environment)
        let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                                   schedule: try ScheduleSettings(settings: settings, environment: environment), logger: logger)
        let notifySettings = try NotifySettings(environment: environment)
        try await AppriseSender.validate(notifySettings)
        // No retries: a delivery the loaded receiver answered too late would arrive twice.
        let notifications = try await AgentNotifications.make(notifySettings, layout: runtime.layout, logger: logger, retryDelays: [])
        if cluster != nil {
            let pass = try await runtime.backUp(lockTimeout: .seconds(60))
            guard pass.failed.isEmpty, pass.succeeded.contains(ConsoleHarness.library) else {
                throw ClusterError("the first backup pass did not back up \(ConsoleHarness.library): \(pass.failed)")
            }
        }
        let app = try await buildConsoleApplication(settings: try ConsoleSettings(environment: environment), runtime: runtime, logger: logger,
                                                    notifications: notifications)
        try await app.test(.router) { client in
            try await body(NotifyingConsole(backupDirectory: directory, password: password, client: InProcessClient(client),
                                            captured: captured, notifications: notifications))
        }
        // Nothing may still be on its way when the folder goes.
        await notifications.notifier?.settle()
    }
}

@Suite("console: the Notifications page, its test button, /metrics, restores told", .timeLimit(.minutes(5)))
struct ConsoleNotificationsTests {
    static let testTitle = "Laterbase: test notification from the console"

    static func metrics(_ console: NotifyingConsole) async throws -> [String: Double] {
        let reply = try await console.client.send("GET", "/metrics", basic: console.password, html: false, cookies: false)
        #expect(reply.status == 200)
        return try PrometheusText.parse(reply.body)
    }

    /// The rows of the page's last-notifications table, in page order.
    static func events(_ page: String) -> [String] {
        guard let table = page.range(of: #"<table id="events">"#) else { return [] }
        let rest = page[table.upperBound...]
        let end = rest.range(of: "</table>")?.lowerBound ?? rest.endIndex
        return rest[..<end].components(separatedBy: "<tr>").dropFirst(2).map { String($0) }
    }

    @Test("the page masks targets and the ping URL; the test button needs CSRF, returns at once and tells once; /metrics counts it; a problem is listed open")
    func pageAndTestButton() async throws {
        let secret = "s3cret" + UUID().uuidString.prefix(8)
        try await NotifyReceiver.with { receiver in
            // The receiver holds this target's deliveries until released: the button must not wait for them.
            let target = "json://laterbase:pw-\(secret)@127.0.0.1:\(receiver.port)/hold/token-\(secret)?cto=60&rto=60"
            try await NotifyingConsole.with(cluster: nil, [
                "NOTIFY_URLS": target, "NOTIFY_REPEAT": "6h", "PING_URL": receiver.url("/ok/ping/uuid-\(secret)"),
            ]) { console in
                let notifier = try console.notifier
                let client = console.client
                let token = try await client.logIn(password: console.password)

                let empty = try await client.send("GET", "/notifications")
                #expect(empty.status == 200)
                #expect(empty.body.contains(#"<a href="/notifications">Notifications</a>"#))
                #expect(empty.body.contains("<code>json://…@127.0.0.1:…</code>"), "\(empty.body)")
                #expect(!empty.body.contains(secret) && !empty.body.contains("laterbase:pw"), "\(empty.body)")
                #expect(empty.body.contains("every scheduled pass pings 127.0.0.1."))
                #expect(empty.body.contains("every 6 h (NOTIFY_REPEAT)"))
                #expect(empty.body.contains("No open problems.") && empty.body.contains("Nothing told yet."))
                #expect(empty.body.contains(#"action="/notifications/test""#))

                // Refused: no CSRF token, a wrong one, basic auth alone (it may only read).
                let noToken = try await client.send("POST", "/notifications/test", form: [("note", "x")])
                let wrongToken = try await client.send("POST", "/notifications/test", form: [("csrf", "not-" + token)])
                let basic = try await client.send("POST", "/notifications/test", basic: console.password, form: [("csrf", token)], cookies: false)
                #expect([noToken.status, wrongToken.status, basic.status] == [Int](repeating: 403, count: 3))
                #expect(await notifier.recent.isEmpty)

                let sent = try await client.send("POST", "/notifications/test", form: [("csrf", token)])
                #expect(sent.status == 303 && sent.header("location") == "/notifications", "\(sent.status) \(sent.body.prefix(300))")
                // Returned while the receiver still holds the delivery: listed as pending.
                let pending = try await client.send("GET", "/notifications")
                let pendingRows = Self.events(pending.body)
                #expect(pendingRows.count == 1 && pendingRows.first?.contains(Self.testTitle) == true && pendingRows.first?.contains(">pending<") == true,
                        "\(pendingRows)")
                #expect(try await Self.metrics(console)[#"laterbase_notifications_total{outcome="sent"}"#] == 0)

                let arrived = await poll(timeout: .seconds(120), every: .milliseconds(100)) { !receiver.received.isEmpty }
                #expect(arrived, "apprise never reached the receiver")
                receiver.release()
                await notifier.settle()
                #expect(receiver.titles == [Self.testTitle], "\(receiver.received.map(\.body))")
                #expect(receiver.received.first?.body.contains(#""type": "info""#) == true || receiver.received.first?.body.contains(#""type":"info""#) == true,
                        "\(receiver.received.map(\.body))")

                let afterTest = try await Self.metrics(console)
                #expect(afterTest[#"laterbase_notifications_total{outcome="sent"}"#] == 1)
                #expect(afterTest[#"laterbase_notifications_total{outcome="failed"}"#] == 0)
                #expect(afterTest["laterbase_notifications_open_problems"] == 0)

                await notifier.problem("backup-failed:Demo Library", Notify.Notification(
                    title: "Laterbase: backup of Demo Library failed", body: "pg_dump failed (exited(1))", kind: .failure))
                await notifier.settle()
                let page = try await client.send("GET", "/notifications")
                #expect(page.body.contains(#"<table id="problems"><tr><th>Problem</th><th>Since</th><th>Last told</th></tr>"#))
                #expect(page.body.contains("<tr><td>Laterbase: backup of Demo Library failed</td>"), "\(page.body)")
                let rows = Self.events(page.body)
                #expect(rows.count == 2, "\(rows)")
                // Newest first, each with its time, type and outcome.
                #expect(rows.first?.contains("Laterbase: backup of Demo Library failed") == true && rows.first?.contains("<td>failure</td>") == true, "\(rows)")
                #expect(rows.last?.contains(Self.testTitle) == true && rows.last?.contains("<td>info</td>") == true, "\(rows)")
                #expect(rows.allSatisfy { $0.contains(#"<span class="ok">sent</span>"#) }, "\(rows)")
                #expect(!page.body.contains(secret))

                let afterProblem = try await Self.metrics(console)
                #expect(afterProblem[#"laterbase_notifications_total{outcome="sent"}"#] == 2)
                #expect(afterProblem["laterbase_notifications_open_problems"] == 1)
                #expect(receiver.titles == [Self.testTitle, "Laterbase: backup of Demo Library failed"])
                #expect(!console.log().contains(secret), "a secret reached the log")
                #expect(console.log().contains("console: a test notification was queued"))
            }
        }
    }

    @Test("NOTIFY_URLS unset: the page says notifications are off and how to turn them on, without a test button; nothing is told")
    func off() async throws {
        try await InProcessConsole.with { console in
            let client = console.client
            let token = try await client.logIn(password: console.password)
            let page = try await client.send("GET", "/notifications")
            #expect(page.status == 200)
            #expect(page.body.contains("Notifications are off: NOTIFY_URLS is not set."), "\(page.body)")
            #expect(page.body.contains("NOTIFY_URLS_FILE") && page.body.contains("docs/notifications.md") && page.body.contains("backup-agent notify-test"))
            #expect(!page.body.contains("/notifications/test") && !page.body.contains("Send a test notification"))
            #expect(page.body.contains("Off: set PING_URL"))
            let refused = try await client.send("POST", "/notifications/test", form: [("csrf", token)])
            #expect(refused.status == 409 && refused.body.contains("NOTIFY_URLS is not set"), "\(refused.status) \(refused.body)")
            let metrics = try await client.send("GET", "/metrics", basic: console.password, html: false, cookies: false)
            #expect(metrics.status == 200 && !metrics.body.contains("laterbase_notifications"))
        }
    }

    @Test("a console restore that finishes tells once; a delivery the receiver refuses is listed failed with its reason and counted")
    func restoreTold() async throws {
        try await NotifyReceiver.with { receiver in
            try await PostgresCluster.withCluster { cluster in
                try await cluster.createDatabase(ConsoleHarness.library)
                try await ResolveFixture.populate(cluster, database: ConsoleHarness.library, projects: 2, blobKilobytes: 16)
                try await NotifyingConsole.with(cluster: cluster, [
                    "NOTIFY_URLS": "json://127.0.0.1:\(receiver.port)/fail500/notify?cto=60&rto=60",
                ]) { console in
                    let notifier = try console.notifier
                    let client = console.client
                    let token = try await client.logIn(password: console.password)
                    let file = console.newestBackup()
                    let started = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", "Demo Library told")])
                    #expect(started.status == 303, "\(started.status) \(started.body.prefix(300))")
                    let outcome = try await ConsoleRestoreTests.waitForOutcome(client)
                    #expect(outcome.contains("Restored in"), "\(outcome)")

                    let title = "Laterbase: console restore of \((file as NSString).lastPathComponent) as Demo Library told finished"
                    let told = await poll(timeout: .seconds(120), every: .milliseconds(100)) {
                        await notifier.recent.contains { $0.notification.title == title }
                    }
                    let titles = await notifier.recent.map(\.notification.title)
                    #expect(told, "\(titles)")
                    await notifier.settle()
                    #expect(receiver.titles == [title], "\(receiver.received.map(\.body))")
                    #expect(receiver.received.first?.body.contains("success") == true)
                    let records = await notifier.recent
                    #expect(records.count == 1 && records.first?.outcome == .failed && records.first?.notification.kind == .success)

                    let page = try await client.send("GET", "/notifications")
                    let rows = Self.events(page.body)
                    #expect(rows.count == 1 && rows.first?.contains(#"<span class="bad">failed</span>"#) == true
                            && rows.first?.contains("apprise could not deliver") == true, "\(rows)")
                    let metrics = try await Self.metrics(console)
                    #expect(metrics[#"laterbase_notifications_total{outcome="failed"}"#] == 1)
                    #expect(metrics[#"laterbase_notifications_total{outcome="sent"}"#] == 0)
                    #expect(metrics[#"laterbase_console_restores_total{outcome="succeeded"}"#] == 1)

                    // A damaged backup found by Verify is told too (one that passes is not).
                    let intact = try await client.send("POST", "/verify", form: [("csrf", token), ("file", file)])
                    #expect(intact.status == 200 && intact.body.contains("OK: "))
                    let damaged = try #require(FileHandle(forWritingAtPath: console.backupDirectory + "/" + file))
                    try damaged.seek(toOffset: 64)
                    try damaged.write(contentsOf: Data(repeating: 0x55, count: 64))
                    try damaged.close()
                    let verified = try await client.send("POST", "/verify", form: [("csrf", token), ("file", file)])
                    #expect(verified.status == 200 && verified.body.contains("FAILED: "), "\(verified.body.prefix(600))")
                    await notifier.settle()
                    let verifyTitle = "Laterbase: console verify found \((file as NSString).lastPathComponent) damaged"
                    #expect(receiver.titles == [title, verifyTitle], "\(receiver.titles)")
                }
            }
        }
    }
}

/// What of a notification URL the page may show.
@Suite("console: notification URLs masked")
struct ConsoleNotificationsMaskingTests {
    @Test("scheme and a real host only: never a user, password, token, port, path or query", arguments: [
        ("mailtos://backups%40facility.example:app-password@smtp.gmail.com?to=ops@facility.example", "mailtos://…@smtp.gmail.com?…"),
        ("json://127.0.0.1:8080/ok/notify?cto=60&rto=60", "json://127.0.0.1:…"),
        ("JSONS://user:token@hooks.example.com/path", "jsons://…@hooks.example.com/…"),
        ("ntfy://ntfy.sh/facility-backups", "ntfy://ntfy.sh/…"),
        ("slack://T0000/B0000/XXXXXXXX/#backups", "slack://…"),
        ("tgram://123456789:AAH-bottoken/-1001234", "tgram://…"),
        ("pbul://o.6W1Q3Rmm0yW0Dh5IUEjB1hDpfN1XOrLw", "pbul://…"),
        ("pover://userkey@apptoken", "pover://…@…"),
        ("mailto://user:pa/ss@mail.example.com", "mailto://…"),
        ("jsons://[::1]:8443/hook", "jsons://[::1]:…"),
        ("gotify://localhost/AbCdEf", "gotify://localhost/…"),
        ("not a url", "(not a URL)"),
    ])
    func masked(_ url: String, _ expected: String) {
        #expect(MaskedTarget.mask(url) == expected)
    }
}
