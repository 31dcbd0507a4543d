@testable import Backups
@testable import Console
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("console: settings, forms, escaping")
struct ConsoleSettingsTests {
    static let base = ["PRIMARY_HOST": "127.0.0.1", "REPL_PASSWORD": "x", "BACKUP_DIR": "/tmp/laterbase-console-never-used", "BACKUP_ON_START": "false"]

    @Test("off by default; on without a password or with a short one is exit 78 naming CONSOLE_PASSWORD, without the value")
    func refusesToRunOpen() async throws {
        let off = try ConsoleSettings(environment: EnvironmentReader(Self.base))
        #expect(!off.enabled && off.port == 8080 && off.address == "0.0.0.0")
        for (extra, words) in [(["CONSOLE": "on"], "is not set"), (["CONSOLE": "on", "CONSOLE_PASSWORD": "short7!"], "shorter than 8")] {
            let run = try await runProduct("backup-agent", ["run"], environment: Self.base.merging(extra) { $1 })
            #expect(run.status == 78, "\(extra): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("CONSOLE_PASSWORD") && run.stderr.contains(words), "\(run.stderr)")
            #expect(!run.stderr.contains("short7!"))
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        }
        let bad = try await runProduct("backup-agent", ["run"], environment: Self.base.merging(["CONSOLE": "on", "CONSOLE_PASSWORD": "long-enough", "CONSOLE_PORT": "80000"]) { $1 })
        #expect(bad.status == 78 && bad.stderr.contains("CONSOLE_PORT"))
    }

    @Test("form bodies decode as browsers encode them")
    func formDecoding() {
        let fields = ConsoleForm.decode("csrf=ab12&as=Demo+Library+%C3%A9t%C3%A9&file=lib%2F20261124_1400.sql.gz&as=second&empty=")
        #expect(fields["csrf"] == "ab12")
        #expect(fields["as"] == "Demo Library été")
        #expect(fields["file"] == "lib/20261124_1400.sql.gz")
        #expect(fields["empty"] == "")
    }

    @Test("text from libraries and forms is escaped: the templates' {{ }}")
    func escaping() async throws {
        let templates = try await ConsoleTemplates.load()
        let text = #"<script>alert("x")</script> & 'y'"#
        let page = ConsolePage(templates: templates, title: text, view: SearchPage(query: text, hits: [], zone: .gmt), session: nil)
        let html = try #require(templates.render(page))
        // The title twice (<title>, <h1>), the search box's value, the "nothing found" line.
        #expect(html.components(separatedBy: "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;").count == 5, "\(html)")
        #expect(!html.contains("<script>") && !html.contains(#"alert("x")"#))
    }

    @Test("the suggested restore name fits PostgreSQL's 63 bytes")
    func suggestedName() throws {
        let long = String(repeating: "é", count: 40)
        let backup = StoredBackup(database: long, folder: "f", file: "20261124_143459.sql.gz", path: "/x", time: Date(timeIntervalSince1970: 1_795_000_000), size: 1, manifest: nil)
        let name = RestorePage.suggestedName(backup)
        #expect(name.utf8.count <= 63 && name.hasSuffix(" restored 20261118_1106"), "\(name)")
    }
}
