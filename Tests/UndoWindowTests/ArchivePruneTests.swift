import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing
import UndoWindow

/// Retention applied to real files, and the agent's refusal of bad undo-window settings.
@Suite("undo window: retention on disk, settings", .timeLimit(.minutes(1)))
struct ArchivePruneTests {
    static let size: UInt64 = 16 * 1024 * 1024

    /// A base backup folder with a manifest, finished `daysAgo` before `now`, starting in segment `start`.
    func makeBase(_ layout: ArchiveLayout, _ name: String, start: UInt64, finished: Date) throws {
        let folder = layout.baseDirectory + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let manifest = BaseBackupManifest(startLSN: LSN.format(start * Self.size + 40), endLSN: LSN.format(start * Self.size + 4000), timeline: 1,
                                          startedAt: finished - 60, finishedAt: finished, walSegmentSize: Self.size, serverVersionNumber: 150_000,
                                          serverVersion: "15", databases: ["Resolve"], bytes: 0, sourceHost: "h:1")
        try JSONCoding.encoder.encode(manifest).write(to: URL(fileURLWithPath: folder + "/" + ArchiveLayout.manifestName))
        _ = FileManager.default.createFile(atPath: folder + "/base.tar.gz", contents: Data())
    }

    @Test("prune removes old base backups and only WAL below the oldest kept start; set-aside folders emptied are removed")
    func pruneOnDisk() throws {
        let root = NSTemporaryDirectory() + "laterbase-prune-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = ArchiveLayout(root: root)
        let now = Date()
        try makeBase(layout, "old", start: 2, finished: now - 20 * 86_400)
        try makeBase(layout, "boundary", start: 6, finished: now - 9 * 86_400)
        try makeBase(layout, "recent", start: 9, finished: now - 86_400)
        try FileManager.default.createDirectory(atPath: layout.walDirectory + "/20261101T000000Z", withIntermediateDirectories: true)
        for number in UInt64(2)...4 {  // set aside after a lost slot: all older than every kept start
            _ = FileManager.default.createFile(atPath: layout.walDirectory + "/20261101T000000Z/" + WalSegment(timeline: 1, number: number, segmentSize: Self.size).name, contents: Data())
        }
        for number in UInt64(5)...11 {
            _ = FileManager.default.createFile(atPath: layout.walDirectory + "/" + WalSegment(timeline: 1, number: number, segmentSize: Self.size).name, contents: Data())
        }
        _ = FileManager.default.createFile(atPath: layout.walDirectory + "/" + WalSegment(timeline: 1, number: 12, segmentSize: Self.size).name + ".partial", contents: Data())
        _ = FileManager.default.createFile(atPath: layout.walDirectory + "/00000002.history", contents: Data("1\t0/5000000\tno recovery target specified\n".utf8))

        let settings = try ArchiveSettings(environment: EnvironmentReader(["WAL_KEEP_DAYS": "7"]))
        let service = BaseBackupService(job: BaseBackupJob(primary: PrimarySettings(host: "127.0.0.1"), layout: layout, logger: Logger(label: "test")),
                                        settings: settings, zone: TimeZone(identifier: "UTC")!, logger: Logger(label: "test"))
        service.prune(now: now)

        #expect(StoredBaseBackup.all(in: layout).map(\.name) == ["boundary", "recent"])
        let left = WalFile.scan(layout, segmentSize: Self.size).map(\.segment.number)
        #expect(left == Array(UInt64(6)...12), "every segment from the boundary base backup's start on stays, the .partial too")
        #expect(!FileManager.default.fileExists(atPath: layout.walDirectory + "/20261101T000000Z"))
        #expect(FileManager.default.fileExists(atPath: layout.walDirectory + "/00000002.history"))
    }

    @Test("bad undo-window settings: exit 78 and one line naming the variable", arguments: [
        ("WAL_ARCHIVE", "perhaps", "configuration error: WAL_ARCHIVE must be true or false, got \"perhaps\""),
        ("WAL_SLOT", "Laterbase-WAL", "configuration error: WAL_SLOT must be lower-case letters, digits and underscores (at most 63), got \"Laterbase-WAL\""),
        ("WAL_KEEP_DAYS", "0", "configuration error: WAL_KEEP_DAYS must be a whole number from 1 to 36500, got \"0\""),
        ("BASE_BACKUP_SCHEDULE", "weekly", "configuration error: BASE_BACKUP_SCHEDULE is invalid: "),
    ])
    func badSettings(variable: String, value: String, message: String) async throws {
        let result = try await runProduct("backup-agent", ["run"], environment: [
            "PRIMARY_HOST": "127.0.0.1", "BACKUP_DIR": "/nonexistent-laterbase", variable: value,
        ])
        #expect(result.status == 78)
        #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
