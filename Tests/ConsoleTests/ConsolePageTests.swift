@testable import Agent
@testable import Backups
@testable import Console
import Foundation
import LaterbaseCore
import Testing

/// Every page from its template, without a server: the layout around it, the ids, classes,
/// links and forms the other tests and the browser test look for, and every value escaped.
@Suite("console: pages from templates")
struct ConsolePageTests {
    static let hostile = #"<b>Demo</b> & "Co's""#
    static let escaped = "&lt;b&gt;Demo&lt;/b&gt; &amp; &quot;Co&#39;s&quot;"
    static let session = ConsoleSessions.Session(token: "t", csrf: "c5rf", lastSeen: Date())
    static let backup = StoredBackup(database: hostile, folder: "f", file: "20261124_143459.sql.gz", path: "/x",
                                     time: Date(timeIntervalSince1970: 1_795_000_000), size: 30_900_000, manifest: nil)

    func render<View: ConsoleView>(_ view: View, title: String = hostile, session: ConsoleSessions.Session? = session,
                                   refresh: Int? = nil) async throws -> String {
        let templates = try await ConsoleTemplates.load()
        let html = try #require(templates.render(ConsolePage(templates: templates, title: title, view: view, session: session, refresh: refresh)))
        #expect(!html.contains("<b>Demo"), "unescaped: \(html)")
        #expect(html.contains(#"<nav><a href="/">Overview</a><a href="/search">Find a project</a><a href="/jobs">Restore job</a><a href="/exports">Downloads</a><a href="/notifications">Notifications</a></nav>"#))
        #expect(html.contains("<h1>\(title == Self.hostile ? Self.escaped : title)</h1>"))
        return html
    }

    @Test("the layout: the session's CSRF token first (the Log out form), a reload only when asked")
    func layout() async throws {
        let page = try await render(LoginPage(problem: "Wrong password.", loginToken: "login-token"), title: "Log in", session: nil)
        #expect(try FormText.csrf(in: page) == "login-token" && !page.contains("Log out") && !page.contains("http-equiv"))
        #expect(page.contains(#"<p class="box bad">Wrong password.</p>"#) && page.contains(#"<input type="password" name="password""#))
        let overview = try await render(SearchPage(query: "", hits: [], zone: .gmt), session: Self.session, refresh: 30)
        #expect(try FormText.csrf(in: overview) == "c5rf" && overview.contains("<button>Log out</button>"))
        #expect(overview.contains(#"<meta http-equiv="refresh" content="30">"#))
    }

    @Test("the overview: health, libraries, the primary's standbys and slots, the undo window")
    func overview() async throws {
        let library = LibraryStatus(database: Self.hostile, newest: Self.backup, backupCount: 2, newestUploaded: false, lastSuccess: nil, lastError: "disk <full>")
        let status = ReplicationStatus(senders: [.init(application: "laterbase_standby_slot", client: "127.0.0.1", state: "streaming", replayLagBytes: 0, replayLagSeconds: 0.5, syncState: "async")],
                                       slots: [.init(name: "laterbase_standby_slot", active: false, walStatus: "reserved", retainedBytes: 2_000_000, safeWalSize: nil)])
        let view = OverviewPage(libraries: [library], health: .success(.init(healthy: false, message: "unhealthy: <x>")), replication: .success(status),
                                undoWindow: "from <a> to <b>", zone: .gmt, now: Date(timeIntervalSince1970: 1_795_000_600))
        let page = try await render(view)
        #expect(page.contains(#"<p class="box bad">Unhealthy: &lt;x&gt;</p>"#))
        #expect(page.contains(#"<a href="/backups?db=%3Cb%3EDemo%3C%2Fb%3E%20%26%20%22Co%27s%22">\#(Self.escaped)</a> <span class="muted">(2)</span>"#))
        #expect(page.contains(#"<span class="bad">local only</span>"#) && page.contains(#"<span class="bad">failed: disk &lt;full&gt;</span>"#))
        #expect(page.contains("<td>2026-11-18 11:06:40 UTC</td><td>10 min</td><td>30.9 MB</td><td>—</td>"), "\(page)")
        #expect(page.contains("<td>laterbase_standby_slot</td><td>standby (async)</td><td>127.0.0.1</td><td>streaming</td><td>0 bytes, 0.5 s</td>"))
        #expect(page.contains(#"<td class="bad">no</td>"#) && page.contains("unlimited") && page.contains("2 MB"))
        #expect(page.contains(#"<pre class="box">from &lt;a&gt; to &lt;b&gt;</pre>"#))
        let empty = try await render(OverviewPage(libraries: [], health: .failure(ConsoleProblem("no state")), replication: .success(.init(senders: [], slots: [])),
                                                  undoWindow: nil, zone: .gmt, now: Date()))
        #expect(empty.contains("No backups yet.") && empty.contains("Unhealthy: no state") && empty.contains("No standby or WAL receiver is connected"))
        #expect(!empty.contains("<table>") && !empty.contains("Undo window"))
    }

    @Test("a library's backups, the search, the restore form, verify: links, forms, escaped values")
    func backupPages() async throws {
        let backups = try await render(BackupsPage(database: Self.hostile, backups: [Self.backup], uploaded: { _ in nil }, zone: .gmt))
        #expect(backups.contains(#"<a href="/restore?file=f%2F20261124%5F143459%2Esql%2Egz">Restore…</a>"#))
        #expect(backups.contains(#"<form method="post" action="/verify" class="row"><input type="hidden" name="csrf" value="c5rf"><input type="hidden" name="file" value="f/20261124_143459.sql.gz"><button>Verify</button></form>"#))
        #expect(try await render(BackupsPage(database: Self.hostile, backups: [], uploaded: { _ in nil }, zone: .gmt)).contains("No backups of \(Self.escaped)."))

        let project = ResolveProject(name: Self.hostile, folder: "Spots", lastModified: nil)
        let search = try await render(SearchPage(query: "demo", hits: [.init(backup: Self.backup, project: project)], zone: .gmt))
        #expect(search.contains("<p>1 backup holds a matching project.</p>") && search.contains("<td>\(Self.escaped)</td><td>/Spots</td>"))
        #expect(search.contains(#"<a href="/restore?file=f%2F20261124%5F143459%2Esql%2Egz">Restore this backup…</a>"#))

        let form = try await render(RestorePage(Self.backup, suggested: Self.hostile, problem: "a <name> exists", target: "db:5432", zone: .gmt))
        #expect(form.contains(#"<p class="box bad">a &lt;name&gt; exists</p>"#) && form.contains("0 projects"))
        #expect(form.contains(#"<input type="text" name="as" value="\#(Self.escaped)" required maxlength="63">"#) && form.contains("On db:5432."))

        let verified = try await render(VerifyPage(Self.backup, outcome: .success(1000)))
        #expect(verified.contains(#"<p class="box ok" id="outcome">OK: f/20261124_143459.sql.gz decodes to 1 KB of SQL; SHA-256 (no manifest to compare with).</p>"#))
        let failed = try await render(VerifyPage(Self.backup, outcome: .failure(ConsoleProblem("bad <crc>"))))
        #expect(failed.contains(#"<p class="box bad" id="outcome">FAILED: bad &lt;crc&gt;</p>"#) && failed.contains("Back to the backups of \(Self.escaped)"))
    }

    @Test("the job page: none, running with progress and Cancel, each outcome with id=outcome")
    func jobPage() async throws {
        #expect(try await render(JobPage(nil, zone: .gmt, now: Date())).contains("No restore has run since the agent started."))
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        func job(_ outcome: ConsoleRestoreJobs.Outcome, total: Int64?) -> ConsoleRestoreJobs.Job {
            .init(id: 1, source: .backup(Self.backup), newDatabase: Self.hostile, target: ConnectionParameters(host: "db", port: 5433, user: "resolve"),
                  startedAt: start, totalBytes: total, fedBytes: 500, phase: nil, finishedAt: outcome == .running ? nil : start + 65, outcome: outcome)
        }
        let running = try await render(JobPage(job(.running, total: 1000), zone: .gmt, now: start + 5))
        #expect(running.contains(#"<progress max="1000" value="500"></progress><p>500 bytes of 1 KB of SQL fed (50 %)</p>"#))
        #expect(running.contains("Running for 5 s") && running.contains(#"<form method="post" action="/jobs/cancel"><input type="hidden" name="csrf" value="c5rf"><button>Cancel the restore</button></form>"#))
        #expect(running.contains("new library <strong>\(Self.escaped)</strong> on db:5433") && !running.contains(#"id="outcome""#))
        let done = try await render(JobPage(job(.succeeded, total: nil), zone: .gmt, now: start + 99))
        #expect(done.contains(#"<p class="ok" id="outcome">Restored in 65 s.</p>"#) && done.contains("<p>500 bytes of SQL fed</p>"))
        #expect(done.contains("the server db, the user resolve and the database name “\(Self.escaped)”") && !done.contains("Cancel the restore"))
        #expect(try await render(JobPage(job(.failed("psql <1>"), total: nil), zone: .gmt, now: start)).contains(#"<p class="bad" id="outcome">Failed: psql &lt;1&gt;</p>"#))
        #expect(try await render(JobPage(job(.cancelled, total: nil), zone: .gmt, now: start)).contains(#"<p class="bad" id="outcome">Cancelled; the new library was removed again.</p>"#))
    }
}
