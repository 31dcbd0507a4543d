import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Restore
import Testing
import UndoWindow

/// The undo window offsite and the restore from the remote alone: `backup-agent run` with
/// WAL_ARCHIVE=on copying to a real `rclone serve webdav`, then BACKUP_DIR deleted entirely and
/// `restore --from-offsite` on an empty one.
@Suite("undo window offsite: restore from the remote alone", .serialized, .timeLimit(.minutes(5)))
struct OffsiteRestoreTests {
    static func offsite(_ remote: RcloneServer) -> [String: String] {
        // A 20 s bound: the WAL goes offsite every 5 s, the .partial at most every 6.7 s.
        ["RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": remote.configPath, "OFFSITE_MAX_WAL_LAG": "20s"]
    }

    /// The remote's index, as `restore --from-offsite` reads it.
    static func remoteIndex(_ remote: RcloneServer) -> OffsiteArchiveIndex? {
        FileManager.default.contents(atPath: remote.served + "/laterbase/.wal/" + OffsiteArchiveIndex.remoteName)
            .flatMap { try? JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: $0) }
    }

    /// What both tests start with: `run` archiving and copying offsite, a timeline of `items`
    /// clips added, a second noted, the timeline deleted, a dump pass, and the wait until the
    /// remote's window passes the noted second (+3 s). Returns the running agent, the timeline
    /// and the noted second; `started`: when the wait began (for the measured figure).
    static func deletedTimelineOffsite(_ archive: ArchiveHarness, _ remote: RcloneServer, items: Int)
        async throws -> (agent: Process, timeline: String, noted: String, waited: Duration) {
        let offsite = offsite(remote)
        let agent = try archive.startAgent(offsite)
        #expect(await archive.waitUntilArchiving(), "\(archive.log)")
        let timeline = try await archive.addTimeline("Edit v\(items)", items: items)
        try await Task.sleep(for: .milliseconds(1200))
        let notedDate = Date()
        try await Task.sleep(for: .milliseconds(1200))
        try await archive.deleteTimeline(timeline)
        let dump = try await archive.run(["backup"], offsite)
        #expect(dump.status == 0, "\(dump.stderr)")
        let started = ContinuousClock.now
        let reached = await poll(timeout: .seconds(60)) {
            (remoteIndex(remote)?.window.newest ?? .distantPast) > notedDate.addingTimeInterval(3)
        }
        #expect(reached, "\(remote.files()) \(archive.log)")
        return (agent, timeline, ArchiveHarness.text(notedDate), ContinuousClock.now - started)
    }

    @Test("BACKUP_DIR deleted: --at TIME and the newest dump come back from the remote alone; list --offsite shows both")
    func restoreFromRemoteAlone() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let remote = try RcloneServer()
            defer { remote.remove() }
            let offsite = Self.offsite(remote)
            // The offsite window reaches past the deletion within the bound.
            let (agent, timeline, noted, waited) = try await Self.deletedTimelineOffsite(archive, remote, items: 4)
            print("measured: the offsite window passed TIME + 3 s after \(waited) (OFFSITE_MAX_WAL_LAG 20s)")
            let index = try #require(Self.remoteIndex(remote))
            #expect(index.bases.count == 1)
            #expect(remote.files().contains { $0.hasPrefix("laterbase/.base/") && $0.hasSuffix("/" + ArchiveLayout.manifestName) })
            // Polled: under CI's parallel suites one sync has taken longer than the 20 s bound.
            var health = ""
            let level = await poll(timeout: .seconds(90), every: .seconds(1)) {
                let result = try? await archive.run(["healthcheck"], offsite)
                health = result?.stdout ?? ""
                return result?.status == 0 && health.contains("offsite restorable until")
            }
            #expect(level, "\(health)")
            #expect(await archive.stop(agent) == 0)

            // The building is gone: nothing of BACKUP_DIR is left.
            try FileManager.default.removeItem(atPath: archive.backupDirectory)
            let listed = try await archive.run(["list", "--offsite"], offsite)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("Resolve/Resolve_backup_"), "\(listed.stdout)")
            #expect(listed.stdout.contains("Offsite undo window (offsite:laterbase): "), "\(listed.stdout)")

            let restored = try await archive.run(["restore", "--from-offsite", "--db", "Resolve", "--at", noted, "--as", "Resolve offsite at"], offsite)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try await archive.clips(timeline, in: "Resolve offsite at") == 4)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)

            let newest = try await archive.run(["restore", "--from-offsite", "--db", "Resolve", "--as", "Resolve offsite dump"], offsite)
            #expect(newest.status == 0, "\(newest.stderr)")
            #expect(try await archive.clips(timeline, in: "Resolve offsite dump") == 0)
            for table in ["SM_Project", "Sm2Timeline", "Sm2TiItem"] {
                let query = "SELECT count(*) FROM \"\(table)\""
                let live = try await cluster.query(query, database: "Resolve").scalar
                #expect(try await cluster.query(query, database: "Resolve offsite dump").scalar == live, "\(table)")
            }
            #expect(!FileManager.default.fileExists(atPath: archive.backupDirectory + "/.offsite-fetch"), "what was fetched is removed after a restore")

            // The drill: a random second of the remote's window, restored, read, dropped, recorded.
            let databases = try await cluster.query("SELECT count(*) FROM pg_database").scalar
            let drill = try await archive.run(["drill"], offsite)
            #expect(drill.status == 0, "\(drill.stderr)")
            #expect(drill.stdout.contains("drill passed: Resolve as it was at "), "\(drill.stdout)")
            #expect(drill.stdout.contains("2 project(s) read; dropped again"), "\(drill.stdout)")
            #expect(try await cluster.query("SELECT count(*) FROM pg_database").scalar == databases, "the drill's database is dropped")
            #expect(!FileManager.default.fileExists(atPath: archive.backupDirectory + "/.offsite-fetch"))
            let records = DrillRecord.load(archive.backupDirectory + "/.laterbase")
            #expect(records.first?.passed == true && records.first?.projects == 2, "\(records)")
            // The remote gone: the drill fails in one line, and leaves nothing behind either.
            remote.kill()
            let failed = try await archive.run(["drill"], offsite)
            #expect(failed.status == 1)
            #expect(failed.stderr.hasPrefix("drill failed after "), "\(failed.stderr)")
            #expect(failed.stderr.split(separator: "\n").count == 1, "\(failed.stderr)")
            #expect(try await cluster.query("SELECT count(*) FROM pg_database").scalar == databases)
            #expect(DrillRecord.load(archive.backupDirectory + "/.laterbase").first?.passed == false)
        }
    }

    @Test("rebuild-local refills an empty BACKUP_DIR from the remote: the backups are listed as offsite, restore --at works locally, nothing is copied back")
    func rebuildLocal() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let remote = try RcloneServer()
            defer { remote.remove() }
            let offsite = Self.offsite(remote)
            let (agent, timeline, noted, _) = try await Self.deletedTimelineOffsite(archive, remote, items: 3)
            // While run holds the WAL archive, rebuild-local refuses.
            let refused = try await archive.run(["rebuild-local"], offsite)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("stop it first"), "\(refused.stderr)")
            #expect(await archive.stop(agent) == 0)
            let before = try await archive.run(["list"], offsite)
            let dumpLine = try #require(before.stdout.split(separator: "\n").first { $0.contains("Resolve_backup_") })

            try FileManager.default.removeItem(atPath: archive.backupDirectory)
            let rebuilt = try await archive.run(["rebuild-local"], offsite)
            #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
            #expect(rebuilt.stdout.contains("fetched 1 backup(s), 1 base backup(s) and "), "\(rebuilt.stdout)")
            let after = try await archive.run(["list"], offsite)
            #expect(after.stdout.contains(String(dumpLine)), "\(after.stdout)")
            #expect(after.stdout.contains("Undo window (WAL archive): "), "\(after.stdout)")

            let restored = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve rebuilt at"], offsite)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try await archive.clips(timeline, in: "Resolve rebuilt at") == 3)

            // Again: nothing missing, nothing fetched; the next pass copies only its own new dump.
            let again = try await archive.run(["rebuild-local"], offsite)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("fetched 0 backup(s), 0 base backup(s) and 0 WAL file(s), 0 bytes"), "\(again.stdout)")
            let objects = remote.files().filter { !$0.contains("/.wal/") }
            let pass = try await archive.run(["backup"], offsite)
            #expect(pass.status == 0, "\(pass.stderr)")
            let added = Set(remote.files().filter { !$0.contains("/.wal/") }).subtracting(objects)
            #expect(added.count == 2, "only the new dump and its manifest: \(added.sorted())")
        }
    }
}
