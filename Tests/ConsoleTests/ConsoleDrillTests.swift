import Backups
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Restore
import Testing

/// The console's "Run a disaster drill now" over the real routes: with offsite copies on (a real
/// `rclone serve webdav`) and no undo window, the drill restores a random dump from the remote
/// alone into a scratch database, reads it and drops it; the overview and /metrics show it.
@Suite("console: the disaster drill button", .timeLimit(.minutes(5)))
struct ConsoleDrillTests {
    @Test("the button starts a drill from the remote (a dump, without an undo window); the overview and /metrics show its record; no database is left")
    func drillFromTheConsole() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase(ConsoleHarness.library)
            try await ResolveFixture.populate(cluster, database: ConsoleHarness.library, projects: 2, blobKilobytes: 16)
            let remote = try RcloneServer()
            defer { remote.remove() }
            try await NotifyingConsole.with(cluster: cluster, [
                "RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": remote.configPath,
            ]) { console in
                let client = console.client
                let token = try await client.logIn(password: console.password)
                let before = try await client.send("GET", "/")
                #expect(before.body.contains("Run a disaster drill now"), "\(before.body)")
                #expect(!before.body.contains("Last drill"))
                let databases = try await cluster.query("SELECT count(*) FROM pg_database").scalar

                let refused = try await client.send("POST", "/drill", form: [("note", "x")])
                #expect(refused.status == 403)
                let started = try await client.send("POST", "/drill", form: [("csrf", token)])
                #expect(started.status == 303 && started.header("location") == "/", "\(started.status) \(started.body.prefix(300))")
                let state = BackupLayout(root: console.backupDirectory).stateDirectory
                let recorded = await poll(timeout: .seconds(120), every: .milliseconds(200)) { !DrillRecord.load(state).isEmpty }
                #expect(recorded, "\(console.log().suffix(3000))")
                let record = try #require(DrillRecord.load(state).first)
                #expect(record.passed, "\(record)")
                #expect(record.backup == console.newestBackup() && record.projects == 2 && record.at == nil, "\(record)")
                // The drill's own "running" flag clears just after its record is written.
                let idle = await poll(timeout: .seconds(30), every: .milliseconds(100)) {
                    (try? await client.send("GET", "/").body.contains("Run a disaster drill now")) == true
                }
                #expect(idle)
                let after = try await client.send("GET", "/")
                #expect(after.body.contains("Last drill") && after.body.contains("drill passed: \(ConsoleHarness.library) from \(console.newestBackup())"), "\(after.body)")
                let metrics = try await ConsoleNotificationsTests.metrics(console)
                #expect(metrics["laterbase_drill_last_success"] == 1)
                #expect((metrics["laterbase_drill_last_duration_seconds"] ?? 0) > 0)
                #expect(try await cluster.query("SELECT count(*) FROM pg_database").scalar == databases, "the drill's scratch database is dropped")
            }
        }
    }
}
