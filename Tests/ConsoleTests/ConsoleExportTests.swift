import Backups
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// "Download for Resolve" through the real routes (in-process): a backup exported in the
/// background into `BACKUP_DIR/.exports`, listed with its SHA-256, downloaded, and read by the
/// real `pg_restore --list`; only files of that folder can be downloaded.
@Suite("console: Download for Resolve", .timeLimit(.minutes(5)))
struct ConsoleExportTests {
    @Test("a backup exported from the console downloads as an archive pg_restore reads, with its SHA-256; other names are 404")
    func downloadForResolve() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase(ConsoleHarness.library)
            try await ResolveFixture.populate(cluster, database: ConsoleHarness.library, projects: 2, blobKilobytes: 16)
            try await NotifyingConsole.with(cluster: cluster, [:]) { console in
                let client = console.client
                let token = try await client.logIn(password: console.password)
                let file = console.newestBackup()
                let backups = try await client.send("GET", "/backups?db=Demo%20Library")
                #expect(backups.body.contains("Download for Resolve"), "\(backups.body)")
                let started = try await client.send("POST", "/exports", form: [("csrf", token), ("file", file)])
                #expect(started.status == 303 && started.header("location") == "/exports", "\(started.status) \(started.body.prefix(300))")
                var page = ""
                let ready = await poll(timeout: .seconds(120), every: .milliseconds(250)) {
                    page = (try? await client.send("GET", "/exports").body) ?? ""
                    return page.contains("/exports/download?name=") || page.contains("export-failed")
                }
                #expect(ready && !page.contains("export-failed"), "\(page)")
                let name = try #require(page.firstMatch(of: /download\?name=([^"]+)"/).map { String($0.1) })
                let decoded = try #require(name.removingPercentEncoding)
                #expect(decoded.hasPrefix("Demo Library_") && decoded.hasSuffix(".backup"), "\(decoded)")

                let download = try await client.send("GET", "/exports/download?name=\(name)")
                #expect(download.status == 200)
                #expect(download.header("content-disposition") == "attachment; filename=\"\(decoded)\"")
                let local = console.backupDirectory + ".download.backup"
                defer { unlink(local) }
                try download.data.write(to: URL(fileURLWithPath: local))
                let listed = try await ChildProcess(try PostgresTools().require("pg_restore"), ["--list", local]).output()
                #expect(listed.contains("TABLE DATA public SM_Project postgres"), "\(listed.prefix(2000))")
                let sha = try await ChildProcess("/usr/bin/sha256sum", [local]).output().split(separator: " ").first.map(String.init)
                #expect(sha.map { page.contains($0) } == true, "the page shows the file's SHA-256")

                // Only the exports folder's own files.
                for bad in ["..%2F.laterbase%2Fstate.json", "nothing.backup", "%2Fetc%2Fpasswd"] {
                    #expect(try await client.send("GET", "/exports/download?name=\(bad)").status == 404, "\(bad)")
                }
                let anonymous = try await client.send("GET", "/exports/download?name=\(name)", cookies: false)
                #expect(anonymous.status != 200)
            }
        }
    }
}
