import Backups
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// The undo window offsite through rclone's own crypt remote over a real `rclone serve webdav`:
/// `backup-agent run` with WAL_ARCHIVE=on and OFFSITE_REQUIRE_ENCRYPTION=on copies the WAL, the
/// base backup and the index as ciphertext under scrambled names, and `restore --from-offsite
/// --at` through the same crypt remote gives a deleted timeline back once BACKUP_DIR is gone.
/// Runs against PG_BINDIR's PostgreSQL when set (`PG_BINDIR=/usr/lib/postgresql/13/bin`).
@Suite("undo window offsite through a crypt remote", .serialized, .timeLimit(.minutes(10)))
struct OffsiteArchiveCryptTests {
    static func offsite(_ config: String) -> [String: String] {
        // A 20 s bound: the WAL goes offsite every 5 s, the .partial at most every 6.7 s.
        ["RCLONE_REMOTE_NAME": "sealed", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": config,
         "OFFSITE_MAX_WAL_LAG": "20s", "OFFSITE_REQUIRE_ENCRYPTION": "on"]
    }

    /// The remote's index read back through the crypt remote (as `restore --from-offsite` does); nil while there is none.
    static func remoteIndex(_ remote: RcloneRemote) async -> OffsiteArchiveIndex? {
        guard let data = try? await remote.read(OffsiteArchiveIndex.walFolder, OffsiteArchiveIndex.remoteName) else { return nil }
        return try? JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: data)
    }

    @Test("WAL, base backup and index leave as ciphertext under scrambled names; BACKUP_DIR deleted, restore --from-offsite --at through the crypt remote gives the timeline back")
    func sealedUndoWindow() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let server = try RcloneServer()
            defer { server.remove() }
            let config = try await server.sealedConfig()
            let offsite = Self.offsite(config)
            let remote = try #require(RcloneRemote(settings: try BackupSettings(environment: EnvironmentReader(archive.environment(offsite)))))
            #expect(await remote.type() == "crypt")

            let agent = try archive.startAgent(offsite)
            #expect(await archive.waitUntilArchiving(timeout: .seconds(180)), "\(archive.log)")
            let timeline = try await archive.addTimeline("Sealed cut v3", items: 5)
            try await Task.sleep(for: .milliseconds(1200))
            let notedDate = Date()
            let noted = ArchiveHarness.text(notedDate)
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)

            // The offsite window reaches past the deletion (generous: CI runs many suites at once).
            let started = ContinuousClock.now
            let reached = await poll(timeout: .seconds(240), every: .seconds(1)) {
                (await Self.remoteIndex(remote)?.window.newest ?? .distantPast) > notedDate.addingTimeInterval(3)
            }
            let index = await Self.remoteIndex(remote)
            try #require(reached, "the offsite window did not pass \(noted) + 3 s; remote index: \(index.map { "\($0.window.summary), \($0.wal.count) WAL files, \($0.bases.count) base backups" } ?? "none"); objects \(server.files()); \(archive.log)")
            let version = try await cluster.query("SHOW server_version").scalar ?? "?"
            print("measured: the encrypted offsite window passed TIME + 3 s after \(ContinuousClock.now - started) (OFFSITE_MAX_WAL_LAG 20s, PostgreSQL \(version))")
            let window = try #require(index)
            #expect(window.bases.count >= 1)
            // Level within OFFSITE_MAX_WAL_LAG (20 s) — polled: under CI's parallel suites one sync
            // through the crypt remote has taken longer than that.
            var health = ""
            let level = await poll(timeout: .seconds(90), every: .seconds(1)) {
                health = (try? await archive.run(["healthcheck"], offsite).stdout) ?? ""
                return health.contains("offsite restorable until")
            }
            #expect(level, "\(health)")
            #expect(await archive.stop(agent) == 0, "\(archive.log)")

            // What is on the server: every object below the crypt remote's folder, names and bytes sealed.
            let objects = server.files()
            #expect(objects.count >= 2 + window.wal.count, "\(objects)")  // the index, a base backup's files, the WAL
            let clearNames = [OffsiteArchiveIndex.remoteName, ArchiveLayout.manifestName, "laterbase", ".wal", ".base", "backup_manifest",
                              "base.tar", "pg_wal.tar", ".partial", ".history"] + window.wal.keys.map { String($0.prefix(24)) }
            let tableNames = ["Sm2Timeline", "Sm2TiItem", "SM_Project", "Sealed cut v3", "Resolve"]
            for object in objects {
                #expect(object.hasPrefix("vault/"), "\(object)")
                for name in clearNames {
                    #expect(!object.contains(name), "\(object) names \(name) in the clear")
                }
                #expect(object.range(of: "[0-9A-F]{24}", options: .regularExpression) == nil, "\(object) looks like a WAL segment name")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: server.served + "/" + object))
                #expect(!bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]), "\(object) is zstd in the clear")
                #expect(!bytes.starts(with: [0x1f, 0x8b]), "\(object) is gzip in the clear")
                for table in tableNames {
                    #expect(bytes.range(of: Data(table.utf8)) == nil, "\(object) holds \"\(table)\" in the clear")
                }
                #expect(bytes.range(of: Data("ustar".utf8)) == nil && bytes.range(of: Data("\"streamedUntil\"".utf8)) == nil,
                        "\(object) holds a tar header or the index in the clear")
            }

            // The building is gone: nothing of BACKUP_DIR is left; the crypt remote alone restores TIME.
            try FileManager.default.removeItem(atPath: archive.backupDirectory)
            let listed = try await archive.run(["list", "--offsite"], offsite)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("Offsite undo window (sealed:laterbase): "), "\(listed.stdout)")
            let restoreStarted = ContinuousClock.now
            let restored = try await archive.run(["restore", "--from-offsite", "--db", "Resolve", "--at", noted, "--as", "Resolve sealed at"], offsite)
            print("measured: restore --from-offsite --at through the crypt remote took \(ContinuousClock.now - restoreStarted)")
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try await archive.clips(timeline, in: "Resolve sealed at") == 5)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            #expect(!FileManager.default.fileExists(atPath: archive.backupDirectory + "/.offsite-fetch"), "what was fetched is removed after a restore")
        }
    }
}
