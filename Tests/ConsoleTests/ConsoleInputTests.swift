import Backups
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Issue 24, item 4: `POST /restore` and `POST /verify` take a backup only as the console lists
/// it (`<library folder>/<file>`); a path with `..`, an absolute path (even to a listed backup),
/// another library's backup reached through `..`, or a file the listing lacks is refused with
/// 400 and one line, and nothing starts.
@Suite("console: which backups a form may name", .timeLimit(.minutes(5)))
struct ConsoleInputTests {
    static let other = "Other Library"

    @Test("traversal, absolute paths, another library through '..', unlisted files: 400 one line; a listed backup works")
    func onlyListedBackups() async throws {
        try await InProcessConsole.with(otherLibraries: [Self.other]) { console in
            let client = console.client
            let token = try await client.logIn(password: console.password)
            let all = StoredBackup.all(in: BackupLayout(root: console.backupDirectory))
            let mine = try #require(all.first { $0.database == ConsoleHarness.library })
            let theirs = try #require(all.first { $0.database == Self.other })
            let root = console.backupDirectory
            let parent = (root as NSString).lastPathComponent

            let refused = [
                "../" + parent + "/" + mine.relativePath,
                "../../../../../../etc/passwd",
                mine.folder + "/../" + theirs.relativePath,
                mine.folder + "/../../" + parent + "/" + theirs.relativePath,
                "./" + mine.relativePath,
                mine.folder + "//" + mine.file,
                mine.path,
                root + "/" + mine.folder + "/../" + theirs.relativePath,
                "/etc/passwd",
                mine.folder + "/" + BackupLayout.fileName(database: ConsoleHarness.library, at: Date(timeIntervalSince1970: 946_684_800)),
                BackupLayout.manifestPath(forBackup: mine.relativePath),
                theirs.file,
                "",
            ]
            for (route, extra) in [("/verify", [(String, String)]()), ("/restore", [("as", "traversal_restore")])] {
                for reference in refused {
                    let reply = try await client.send("POST", route, form: [("csrf", token), ("file", reference)] + extra, html: false)
                    let text = reply.body.trimmingCharacters(in: .whitespacesAndNewlines)
                    #expect(reply.status == 400, "\(route) \(reference): \(reply.status) \(reply.body.prefix(300))")
                    #expect(!text.isEmpty && !text.contains("\n"), "\(route) \(reference): one line, not \(reply.body.prefix(300))")
                    #expect(!text.contains(root), "\(route) \(reference): the reply names no folder of the agent's")
                }
            }
            for reference in [mine.path, "../" + parent + "/" + mine.relativePath] {
                let form = try await client.send("GET", "/restore?file=" + FormText.escape(reference))
                #expect(form.status == 400, "GET /restore \(reference): \(form.status)")
            }
            let made = try await console.cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'traversal_restore'")
            #expect(made.scalar == "0", "no restore started")

            // Listed backups, of either library, as the pages name them.
            for backup in [mine, theirs] {
                let verified = try await client.send("POST", "/verify", form: [("csrf", token), ("file", backup.relativePath)])
                #expect(verified.status == 200 && verified.body.contains("matches its manifest"), "\(backup.relativePath): \(verified.status)")
                let form = try await client.send("GET", "/restore?file=" + FormText.escape(backup.relativePath))
                #expect(form.status == 200)
            }
        }
    }
}
