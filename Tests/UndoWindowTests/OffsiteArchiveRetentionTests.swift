@testable import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing
@testable import UndoWindow

/// Retention of the undo window offsite, through ``OffsiteArchiveSync`` in-process against a
/// real `rclone serve webdav` and a real archive (two base backups by `backup-agent run`):
/// `WAL_KEEP_DAYS` applied to what is offsite, never "what is gone locally".
@Suite("undo window offsite: retention", .serialized, .timeLimit(.minutes(5)))
struct OffsiteArchiveRetentionTests {
    @Test("WAL_KEEP_DAYS offsite drops the older base backup and the WAL only it needs, locally nothing; an emptied .wal/ and a lost index cost the remote nothing")
    func retention() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let server = try RcloneServer()
            defer { server.remove() }
            // A second base backup once 16MB of WAL followed the first one.
            let agent = try archive.startAgent(["BASE_BACKUP_AFTER_WAL": "16MB"])
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            for round in 1...2 {
                try await cluster.execute("CREATE TABLE IF NOT EXISTS filler (n int); INSERT INTO filler SELECT generate_series(1, 1000 * \(round))", database: "Resolve")
                _ = try await cluster.query("SELECT pg_switch_wal()")
            }
            #expect(await archive.waitUntilArchiving(bases: 2, timeout: .seconds(120)), "\(archive.log)")
            #expect(await archive.stop(agent) == 0)

            let environment = EnvironmentReader(archive.environment([
                "RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": server.configPath,
            ]))
            let remote = try #require(RcloneRemote(settings: try BackupSettings(environment: environment)))
            let sync = OffsiteArchiveSync(remote: remote, layout: archive.layout, keepDays: 1, partialInterval: 0, logger: Logger(label: "test"))
            let local = StoredBaseBackup.all(in: archive.layout)
            try #require(local.count == 2)
            let (older, newer) = (local[0], local[1])

            let first = await sync.run()
            #expect(first.error == nil, "\(first)")
            var index = OffsiteArchiveIndex.load(archive.layout)
            #expect(Set(index.bases.keys) == [older.name, newer.name])
            let objects = server.files()
            #expect(objects.contains("laterbase/.base/\(older.name)/laterbase-base.json"))
            let newerStart = try #require(newer.manifest.startSegment)
            let olderWal = index.wal.keys.filter { !$0.hasSuffix(".history") && !$0.hasSuffix(".partial") && (WalSegment(fileName: $0, segmentSize: newerStart.segmentSize)?.number ?? .max) < newerStart.number }
            #expect(!olderWal.isEmpty, "WAL below the newer base backup's start is offsite: \(index.wal.keys.sorted())")

            // Three days on, one kept: the older base backup and the WAL only it needs go, offsite only.
            let later = await sync.run(now: Date().addingTimeInterval(3 * 86_400))
            #expect(later.error == nil, "\(later)")
            index = OffsiteArchiveIndex.load(archive.layout)
            #expect(Array(index.bases.keys) == [newer.name])
            #expect(index.pendingDeletes.isEmpty, "\(index.pendingDeletes)")
            let remaining = server.files()
            #expect(!remaining.contains { $0.hasPrefix("laterbase/.base/\(older.name)/") }, "\(remaining)")
            for name in olderWal {
                #expect(!remaining.contains("laterbase/.wal/\(name)"), "\(name) still offsite")
                #expect(index.wal[name] == nil)
            }
            #expect(remaining.contains("laterbase/.base/\(newer.name)/laterbase-base.json"))
            #expect(StoredBaseBackup.all(in: archive.layout).count == 2, "local retention is the receiver's, not the offsite sync's")

            // .wal/ emptied locally and the local index lost: the remote keeps everything, and the
            // next sync continues the remote's index.
            let offsiteWal = remaining.filter { $0.hasPrefix("laterbase/.wal/0") }
            for name in try FileManager.default.contentsOfDirectory(atPath: archive.layout.walDirectory) {
                try FileManager.default.removeItem(atPath: archive.layout.walDirectory + "/" + name)
            }
            try FileManager.default.removeItem(atPath: OffsiteArchiveIndex.path(archive.layout))
            let adopted = await sync.run()
            #expect(adopted.error == nil, "\(adopted)")
            #expect(server.files().filter { $0.hasPrefix("laterbase/.wal/0") } == offsiteWal)
            #expect(OffsiteArchiveIndex.load(archive.layout).wal.count == index.wal.count)
        }
    }
}
