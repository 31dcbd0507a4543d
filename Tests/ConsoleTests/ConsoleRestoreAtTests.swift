import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// The console's "Restore as it was at…" over real HTTP: `backup-agent run` with WAL_ARCHIVE=on
/// and the console on (``ConsoleHarness``), a row deleted after a noted second, then the form:
/// the window shown, a time outside it refused with the reason, the job with its phases, the
/// library as it was; a job cancelled in its copy step (held there by ``HeldScratchDump``, so the
/// cancel cannot come after the job is done) leaves no scratch server and no new database.
@Suite("console: restore as it was at a moment", .serialized, .timeLimit(.minutes(5)))
struct ConsoleRestoreAtTests {
    @Test("the form shows the window and prefills; outside the window is refused; the job restores the moment; cancelled, nothing is left")
    func restoreAt() async throws {
        let held = try HeldScratchDump(folder: NSTemporaryDirectory() + "laterbase-held-dump-\(UUID().uuidString)")
        defer { held.remove() }
        try await ConsoleHarness.with(projects: 2, blobKilobytes: 16, replication: true,
                                      extra: ["WAL_ARCHIVE": "on", "PG_BINDIR": held.programs.folder]) { console in
            let layout = ArchiveLayout(root: console.backupDirectory)
            let archiving = await poll(timeout: .seconds(120), every: .milliseconds(250)) {
                !StoredBaseBackup.all(in: layout).isEmpty && (ReceiverStatus.load(layout)?.isStreaming(now: Date()) ?? false)
            }
            #expect(archiving)
            let library = ConsoleHarness.library
            try await console.cluster.execute("CREATE TABLE marker (x int); INSERT INTO marker VALUES (1), (2), (3)", database: library)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await console.cluster.execute("DELETE FROM marker", database: library)
            try await Task.sleep(for: .milliseconds(1500))

            let client = console.client
            let token = try await client.logIn(password: console.password)
            let backups = try await client.send("GET", "/backups?db=Demo%20Library")
            #expect(backups.body.contains("/restore-at?db=Demo%20Library"), "\(backups.body)")
            let form = try await client.send("GET", "/restore-at?db=Demo%20Library&project=spot")
            #expect(form.status == 200)
            #expect(form.body.contains(#"<span id="window">"#) && form.body.contains("just before now"), "\(form.body)")
            #expect(form.body.contains(#"name="at" value="20"#), "\(form.body)")

            // Outside the window: the same form again with the reason, nothing started.
            let early = try await client.send("POST", "/restore-at", form: [("csrf", token), ("db", library), ("at", "2001-01-01 00:00:00"), ("as", "Demo early")])
            #expect(early.status == 409 && early.body.contains("is before the oldest restorable time"), "\(early.status) \(early.body.prefix(2000))")
            let nonsense = try await client.send("POST", "/restore-at", form: [("csrf", token), ("db", library), ("at", "yesterday-ish"), ("as", "Demo early")])
            #expect(nonsense.status == 409 && nonsense.body.contains("is not a time"), "\(nonsense.body.prefix(2000))")

            let started = try await client.send("POST", "/restore-at", form: [("csrf", token), ("db", library), ("at", noted), ("as", "Demo at noted")])
            #expect(started.status == 303 && started.header("location") == "/jobs", "\(started.status) \(started.body.prefix(2000))")
            let running = try await client.send("GET", "/jobs")
            #expect(running.body.contains("Demo Library as it was at \(noted) UTC"), "\(running.body)")
            let outcome = try await ConsoleRestoreTests.waitForOutcome(client)
            #expect(outcome.contains("Restored in"), "\(outcome)")
            #expect(try await console.cluster.query("SELECT count(*) FROM marker", database: "Demo at noted").scalar == "3")
            #expect(try await console.cluster.query("SELECT count(*) FROM marker", database: library).scalar == "0")

            // Cancelled in the copy step: no scratch server, no new database.
            try held.close()
            let again = try await client.send("POST", "/restore-at", form: [("csrf", token), ("db", library), ("at", noted), ("as", "Demo cancelled")])
            #expect(again.status == 303)
            let copying = await poll(timeout: .seconds(120), every: .milliseconds(100)) { held.isHeld }
            #expect(copying, "the job never reached its copy step: \(console.log().suffix(2000))")
            #expect(try await client.send("GET", "/jobs").body.contains(#"id="phase""#))
            let cancel = try await client.send("POST", "/jobs/cancel", form: [("csrf", token)])
            #expect(cancel.status == 303)
            let cancelled = try await ConsoleRestoreTests.waitForOutcome(client)
            #expect(cancelled.contains("Cancelled"), "\(cancelled)")
            let leftovers = await poll(timeout: .seconds(30), every: .milliseconds(200)) {
                ((try? FileManager.default.contentsOfDirectory(atPath: layout.scratchDirectory)) ?? []).isEmpty
            }
            #expect(leftovers, "\((try? FileManager.default.contentsOfDirectory(atPath: layout.scratchDirectory)) ?? [])")
            let made = try await console.cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'Demo cancelled' OR datname LIKE 'laterbase_restoring_%'").scalar
            #expect(made == "0")
        }
    }
}
