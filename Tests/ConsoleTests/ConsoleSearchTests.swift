import Agent
import Backups
import Console
import Foundation
import HummingbirdTesting
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// `/search?project=…` (issue 24, item 5): each library's project once with its backups collapsed
/// (newest first, how many, a restore link to the newest), 50 projects a page, never a backup
/// that is gone. Most cases write manifests the way a pass does into a folder of their own and
/// drive the console in-process with no server (the search asks none); one goes through real
/// backup passes and a real prune.
@Suite("console: the project search, grouped and paged")
struct ConsoleSearchTests {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("a project in 3 backups appears once, with 3 backups newest first and a restore link to the newest")
    func grouping() async throws {
        try await SearchFolder.with { folder, client in
            let hostile = #"<b>Spot</b> & "Co's""#
            var paths: [String] = []
            for hour in 0..<3 {
                paths.append(try folder.add("Lib A", at: Self.start + Double(hour) * 3600, [
                    ResolveProject(name: hostile, folder: "Clients/<x>", lastModified: Self.start + Double(hour) * 3600 - 60),
                    ResolveProject(name: "Other", folder: "", lastModified: nil),
                ]))
            }
            try folder.add("Lib B", at: Self.start, [ResolveProject(name: hostile, folder: "Clients/<x>", lastModified: nil)])
            let page = try await client.search("spot")
            #expect(!page.contains("<b>Spot") && page.contains("&lt;b&gt;Spot&lt;/b&gt; &amp; &quot;Co&#39;s&quot;"))
            #expect(page.rows.count == 2, "once per library: \(page.rows)")
            let a = try #require(page.rows.first { $0.contains("<td>Lib A</td>") })
            #expect(a.contains("<td>3 backups</td>") && a.contains("/Clients/&lt;x&gt;"), "\(a)")
            #expect(a.contains("/restore?file=\(FormText.escape(paths[2]))"), "the newest is restored: \(a)")
            #expect(page.contains("2026-11-18 13:06:40 UTC") && page.contains("saved 2026-11-18 13:05:40 UTC"), "the newest's times")
            // Newest first: the newest's link, then the short list of the older two.
            let positions = try paths.reversed().map { try #require(page.body.range(of: "/restore?file=\(FormText.escape($0))")?.lowerBound) }
            #expect(positions == positions.sorted(), "newest first")
            #expect(page.rows.first { $0.contains("<td>Lib B</td>") }?.contains("<td>1 backup</td>") == true)
            #expect(page.contains("4 backups hold a matching project.") && page.contains("2 projects match."))
        }
    }

    @Test("pages of 50 projects: exact name first, the next ones on page 2, no duplicates, a stable order")
    func pagination() async throws {
        try await SearchFolder.with { folder, client in
            let names = (0..<120).map { String(format: "Spot %03d", $0) } + ["spot"]
            for day in 0..<2 {
                try folder.add("Lib", at: Self.start + Double(day) * 86400, names.shuffled().map { ResolveProject(name: $0, folder: "Ads", lastModified: nil) })
            }
            var seen: [String] = []
            for number in 1...3 {
                let page = try await client.search("spot", page: number)
                #expect(page.rows.count == (number < 3 ? 50 : 21), "page \(number): \(page.rows.count) rows")
                #expect(page.contains("Page \(number) of 3"))
                #expect(page.contains(#"href="/search?project=spot&amp;page=\#(number + 1)" rel="next""#) == (number < 3))
                #expect(page.contains(#"href="/search?project=spot&amp;page=\#(number - 1)" rel="prev""#) == (number > 1))
                seen += page.names
            }
            try #require(seen.count == names.count, "\(seen.count) projects over the pages")
            #expect(seen.first == "spot", "the exact name first")
            #expect(seen == ["spot"] + names.dropLast().sorted(), "every project once, in order")
            #expect(try await client.search("spot", page: 2).names == seen[50..<100].map { $0 }, "the same page again")
            #expect(try await client.search("spot", page: 99).names == seen[100...].map { $0 }, "past the end: the last page")
        }
    }

    @Test("a backup deleted, added or rewritten is seen by the next search")
    func changes() async throws {
        try await SearchFolder.with { folder, client in
            let spot = [ResolveProject(name: "Spot", folder: "", lastModified: nil)]
            let first = try folder.add("Lib", at: Self.start, spot)
            let second = try folder.add("Lib", at: Self.start + 3600, spot)
            #expect(try await client.search("spot").rows.first?.contains("<td>2 backups</td>") == true)
            try folder.remove(second)
            let after = try await client.search("spot")
            #expect(after.rows.first?.contains("<td>1 backup</td>") == true && !after.contains(FormText.escape(second)), "\(after.rows)")
            #expect(after.contains(FormText.escape(first)))
            try folder.remove(first)
            #expect(try await client.search("spot").contains("No backup holds a project whose name contains “spot”."))
            let third = try folder.add("Lib", at: Self.start + 7200, [ResolveProject(name: "Spot renamed", folder: "", lastModified: nil)])
            #expect(try await client.search("spot").names == ["Spot renamed"])
            try folder.rewrite(third, [ResolveProject(name: "Spot again", folder: "", lastModified: nil)])
            #expect(try await client.search("spot").names == ["Spot again"])
        }
    }

    @Test("an empty result says so: no match, and one project's backups once they are gone")
    func empty() async throws {
        try await SearchFolder.with { folder, client in
            let path = try folder.add("Lib", at: Self.start, [ResolveProject(name: "Spot", folder: "Ads", lastModified: nil)])
            let none = try await client.search("zzz")
            #expect(none.contains("No backup holds a project whose name contains “zzz”.") && none.rows.isEmpty && !none.contains("<table>"))
            #expect(!none.contains("rel=\"next\"") && !none.contains("Page "))
            let one = "/search?project=Spot&db=Lib&folder=Ads"
            let held = try await client.get(one)
            #expect(held.contains("1 backup holds it, newest first.") && held.contains(FormText.escape(path)), "\(held.body.suffix(1500))")
            try folder.remove(path)
            let gone = try await client.get(one)
            #expect(gone.contains("No backup holds it.") && !gone.contains(FormText.escape(path)), "\(gone.body.suffix(1500))")
        }
    }

    @Test("41 backups × 2,000 projects: a page of 50, a short list per project, all of one project's backups on demand")
    func scale() async throws {
        try await SearchFolder.with { folder, client in
            let projects = (0..<2000).map { ResolveProject(name: "Spot \($0) – Client \($0 % 50)", folder: "Clients", lastModified: nil) }
            for backup in 0..<41 { try folder.add("Lib", at: Self.start + Double(backup) * 3600, projects) }
            _ = try await client.search("")
            let clock = ContinuousClock()
            var page = try await client.search("spot")
            let elapsed = try await clock.measure { page = try await client.search("SPOT") }
            #expect(page.rows.count == 50 && page.contains("41 backups hold a matching project.") && page.contains("2000 projects match; 1–50 shown."))
            #expect(page.body.utf8.count < 150_000, "\(page.body.utf8.count) bytes")
            // A coarse guard only (CI runs suites in parallel on two cores; one run took 3.4 s):
            // the figures are bench/search_scale.sh's.
            #expect(elapsed < .seconds(30), "\(elapsed)")
            #expect(page.body.components(separatedBy: "Restore…").count - 1 == 50 * 5, "a short list of the next 5 per project")
            let all = try #require(page.links.first { $0.hasPrefix("/search?project=") && $0.contains("&db=Lib") })
            let every = try await client.get(all)
            #expect(every.body.components(separatedBy: "Restore this backup…").count - 1 == 41, "\(every.body.suffix(800))")
        }
    }

    @Test("real backup passes and a real prune: the search follows them")
    func realPasses() async throws {
        try await InProcessConsole.with(projects: 3) { console in
            let client = SearchClient(client: console.client, password: console.password)
            #expect(try await client.search("spot 2").rows.first?.contains("<td>1 backup</td>") == true)
            let keeping = try Self.runtime(console, ["BACKUP_RETENTION_DAYS": "30"])
            for _ in 0..<2 {
                try await Task.sleep(for: .milliseconds(1100))
                _ = try await keeping.backUp(lockTimeout: .seconds(60))
            }
            let layout = BackupLayout(root: console.backupDirectory)
            let three = try await client.search("spot 2")
            #expect(three.names.first == "Spot 2" && three.rows.first?.contains("<td>3 backups</td>") == true, "\(three.rows)")
            #expect(three.rows.first?.contains(FormText.escape(console.newestBackup())) == true, "the newest is restored")
            _ = try await Self.runtime(console, ["BACKUP_RETENTION_DAYS": "0"]).prune()
            let kept = StoredBackup.all(in: layout).count
            #expect(kept < 3)
            let pruned = try await client.search("café")
            #expect(pruned.names == ["Spot 1 O&#39;Brien – Café 東京"])
            #expect(pruned.rows.first?.contains("<td>\(kept) backup\(kept == 1 ? "" : "s")</td>") == true, "\(pruned.rows)")
        }
    }

    /// A runtime of its own over the console's cluster and folder, with `extra` settings.
    static func runtime(_ console: InProcessConsole, _ extra: [String: String]) throws -> AgentRuntime {
        let environment = EnvironmentReader(console.cluster.agentEnvironment(backupDirectory: console.backupDirectory, extra))
        let settings = try BackupSettings(environment: environment)
        return AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                            schedule: try ScheduleSettings(settings: settings, environment: environment), logger: LogCapture().logger())
    }
}

/// A `BACKUP_DIR` of its own, written as a pass writes it (an empty `.sql.gz` and its manifest
/// with the catalog), under a console built in-process over it with no server behind.
struct SearchFolder {
    let layout: BackupLayout

    static func with(_ body: @escaping @Sendable (SearchFolder, SearchClient) async throws -> Void) async throws {
        let root = NSTemporaryDirectory() + "laterbase-console-search-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let password = "console-\(UUID().uuidString.prefix(12))"
        // No server answers on port 1: the search must not need one.
        let environment = EnvironmentReader([
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": "1", "PRIMARY_USER": "postgres", "REPL_PASSWORD": "unused",
            "PRIMARY_SSLMODE": "disable", "BACKUP_DIR": root, "TZ": "UTC", "BACKUP_SCHEDULE": "0 0 1 1 *",
            "CONSOLE": "on", "CONSOLE_ADDRESS": "127.0.0.1", "CONSOLE_PASSWORD": password,
        ])
        let logger = LogCapture().logger()
        let settings = try BackupSettings(environment: environment)
        let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                                   schedule: try ScheduleSettings(settings: settings, environment: environment), logger: logger)
        let app = try await buildConsoleApplication(settings: try ConsoleSettings(environment: environment), runtime: runtime, logger: logger)
        try await app.test(.router) { client in
            try await body(SearchFolder(layout: BackupLayout(root: root)), SearchClient(client: InProcessClient(client), password: password))
        }
    }

    /// A backup of `library` taken at `time` holding `projects`; its `folder/file`.
    @discardableResult
    func add(_ library: String, at time: Date, _ projects: [ResolveProject]) throws -> String {
        let directory = layout.directory(for: library)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = BackupLayout.fileName(database: library, at: time)
        _ = FileManager.default.createFile(atPath: directory + "/" + file, contents: Data())
        try write(directory + "/" + file, library: library, time: time, projects)
        return BackupLayout.folderName(for: library) + "/" + file
    }

    /// The manifest of `relativePath` written again (by a rename, as a pass writes one) with `projects`.
    func rewrite(_ relativePath: String, _ projects: [ResolveProject]) throws {
        let path = layout.root + "/" + relativePath
        let library = try #require(StoredBackup.all(in: layout).first { $0.relativePath == relativePath }).database
        try write(path, library: library, time: try #require(BackupLayout.time(ofFileName: (path as NSString).lastPathComponent)), projects)
    }

    /// Deletes a backup and its manifest, as retention does.
    func remove(_ relativePath: String) throws {
        let path = layout.root + "/" + relativePath
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.removeItem(atPath: BackupLayout.manifestPath(forBackup: path))
    }

    private func write(_ path: String, library: String, time: Date, _ projects: [ResolveProject]) throws {
        let manifest = BackupManifest(database: library, file: (path as NSString).lastPathComponent, serverVersion: "15.8", pgDumpVersion: "15.8",
                                      startedAt: time, finishedAt: time, rawBytes: 1, compressedBytes: 1, sha256: String(repeating: "0", count: 64),
                                      contentFingerprint: UUID().uuidString, sourceHost: "127.0.0.1", sourcePort: 5432,
                                      compression: .init(level: 6, strategy: .adaptive, blockSize: 1 << 20), unchangedFrom: nil,
                                      resolve: ResolveCatalog(schemaVersion: "18", projects: projects))
        try manifest.encoded().write(to: URL(fileURLWithPath: BackupLayout.manifestPath(forBackup: path)), options: .atomic)
    }
}

/// Searches as a script would (basic auth), and what the tests read from the page.
struct SearchClient: Sendable {
    let client: any ConsoleClient
    let password: String

    func search(_ text: String, page: Int? = nil) async throws -> SearchReply {
        try await get("/search?project=" + FormText.escape(text) + (page.map { "&page=\($0)" } ?? ""))
    }

    func get(_ path: String) async throws -> SearchReply {
        let reply = try await client.send("GET", path, basic: password)
        guard reply.status == 200 else { throw ClientError("\(path) answered \(reply.status): \(reply.body.prefix(300))") }
        return SearchReply(body: reply.body)
    }
}

struct SearchReply: Sendable {
    let body: String

    func contains(_ text: String) -> Bool { body.contains(text) }

    /// Each project's row of the results table.
    var rows: [String] {
        body.components(separatedBy: #"<tr class="project">"#).dropFirst().map { String($0.prefix { $0 != "\n" }) }
    }

    /// The projects shown, in order (as the page writes them, escaped).
    var names: [String] {
        rows.map { String($0.dropFirst(4).prefix { $0 != "<" }) }
    }

    /// Every link's target, `&amp;` read as `&`.
    var links: [String] {
        body.components(separatedBy: #"<a href=""#).dropFirst().map { String($0.prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&") }
    }
}
