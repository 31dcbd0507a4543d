import Foundation
import LaterbaseCore
@testable import Restore
import Testing
@testable import UndoWindow

@Suite("restore --at: which files are unpacked, and the space it needs")
struct SelectiveUnpackTests {
    static func manifest(_ oids: [String: UInt32]?, fullPageWrites: Bool = true) -> BaseBackupManifest {
        BaseBackupManifest(startLSN: "0/2000028", endLSN: "0/3000100", timeline: 1, startedAt: Date(), finishedAt: Date(), walSegmentSize: 16 << 20,
                           serverVersionNumber: 130016, serverVersion: "13.16", databases: Array((oids ?? [:]).keys), databaseOIDs: oids,
                           fullPageWrites: fullPageWrites, bytes: 1, sourceHost: "h:5432")
    }

    @Test("the plan zero-fills the other libraries only: never postgres, a system OID or the library itself; none without OIDs, full-page writes or the library")
    func plan() throws {
        let oids: [String: UInt32] = ["postgres": 13443, "Resolve": 16384, "Other": 16385, "Third": 16390, "odd": 12000]
        let plan = try #require(SelectiveUnpack.plan(Self.manifest(oids), keeping: "Resolve"))
        #expect(plan.kept == 16384)
        #expect(plan.zeroed == [16385, 16390])
        #expect(SelectiveUnpack.plan(Self.manifest(oids), keeping: "Other")?.zeroed == [16384, 16390])
        #expect(SelectiveUnpack.plan(Self.manifest(nil), keeping: "Resolve") == nil)
        #expect(SelectiveUnpack.plan(Self.manifest(oids, fullPageWrites: false), keeping: "Resolve") == nil)
        #expect(SelectiveUnpack.plan(Self.manifest(oids), keeping: "Made later") == nil)
        #expect(SelectiveUnpack.plan(Self.manifest(["postgres": 5, "Resolve": 16384]), keeping: "Resolve") == nil)
    }

    @Test("zero-filled: relation files (forks, segments) of the other libraries; kept: their PG_VERSION and map, everything else")
    func zeroedPaths() {
        let plan = SelectiveUnpack(kept: 16384, zeroed: [16385])
        for path in ["base/16385/1259", "base/16385/16400_fsm", "base/16385/16400.1", "base/16385/2619_vm"] { #expect(plan.isZeroed(path), "\(path)") }
        for path in ["base/16385/PG_VERSION", "base/16385/pg_filenode.map", "base/16384/1259", "global/1262", "base/16385", "base/1638/1259", "pg_xact/0000"] {
            #expect(!plan.isZeroed(path), "\(path)")
        }
        #expect(plan.tarExclusions == ["--anchored", "--wildcards", "--exclude=base/16385/[0-9]*"])
    }

    @Test("the space: backup_manifest's files (the zero-filled ones up to the WAL's size), the base backup's WAL range and the staged segments; refused under the reserve")
    func space() throws {
        let data = Data("""
            {"PostgreSQL-Backup-Manifest-Version": 1, "Files": [
              {"Path": "base/16384/1259", "Size": 1000}, {"Path": "base/16385/1259", "Size": 500000}, {"Path": "base/16385/16400", "Size": 104857600},
              {"Path": "base/16385/PG_VERSION", "Size": 3}, {"Path": "global/1262", "Size": 200}]}
            """.utf8)
        let segment = WalSegment(timeline: 1, number: 3, segmentSize: 16 << 20)
        let staged = [WalFile(fileName: segment.name, path: "/w/" + segment.name, segment: segment, isPartial: false, modified: Date(), bytes: 16 << 20)]
        let plan = SelectiveUnpack(kept: 16384, zeroed: [16385])
        let files = try #require(SelectiveUnpack.files(fromBackupManifest: data))
        #expect(files.count == 5)
        let one = ScratchSpace.estimate(files: files, base: Self.manifest(nil), selective: plan, staged: staged)
        // Replay may write into the zero-filled files: counted up to the WAL's size (48 MB), not their 100.5 MB.
        #expect(one.unpacked == 1203 + 3 * (16 << 20))
        #expect(one.wal == 3 * (16 << 20))  // segments 2 and 3 of the base backup, and the one staged
        let all = ScratchSpace.estimate(files: files, base: Self.manifest(nil), selective: nil, staged: [])
        #expect(all.unpacked == 1203 + 500000 + 104857600)
        #expect(SelectiveUnpack.files(fromBackupManifest: Data("{}".utf8)) == nil)

        #expect(ScratchSpace.reserve(capacity: 100 << 30) == 1 << 30)
        #expect(ScratchSpace.reserve(capacity: 400 << 20) == 40 << 20)
        let need = ScratchSpace(unpacked: 100 << 20, wal: 48 << 20)
        #expect(need.refusal(available: 300 << 20, capacity: 400 << 20, directory: "/backups", library: "Resolve") == nil)
        let refusal = try #require(need.refusal(available: 150 << 20, capacity: 400 << 20, directory: "/backups", library: "Resolve"))
        #expect(refusal == "restore --at needs 148.0 MB free in /backups for its scratch server (the library Resolve unpacked with the system databases: 100.0 MB; WAL: 48.0 MB) and keeps 40.0 MB free for the backups meanwhile, but only 150.0 MB is free; free space in BACKUP_DIR (prune old backups) and run it again")
    }

    @Test("invalid pages read back from the scratch server's log: only those outside the zero-filled libraries count")
    func invalidPages() {
        let plan = SelectiveUnpack(kept: 16384, zeroed: [16385])
        let log = """
            2026-12-02 03:55:15.459 UTC [7359] WARNING:  page 0 of relation base/16385/16400 is uninitialized
            2026-12-02 03:55:15.459 UTC [7359] CONTEXT:  WAL redo at 0/4000028 for Heap2/VISIBLE: cutoff xid 500 flags 0x01
            2026-12-02 03:55:15.459 UTC [7359] WARNING:  WAL contains references to invalid pages
            2026-12-02 03:55:15.470 UTC [7359] WARNING:  page 7 of relation base/16385/16400_vm does not exist
            """
        #expect(plan.invalidPagesElsewhere(inLog: log).isEmpty)
        let worse = log + "\n2026-12-02 03:55:16.001 UTC [7359] WARNING:  page 3 of relation base/16384/16410 is uninitialized\n"
            + "2026-12-02 03:55:16.002 UTC [7359] WARNING:  page 1 of relation global/1262 does not exist\n"
            + "2026-12-02 03:55:16.003 UTC [7359] WARNING:  page 4 of relation base/16384/16410 is uninitialized\n"
        #expect(plan.invalidPagesElsewhere(inLog: worse) == ["base/16384/16410", "global/1262"])
    }

    @Test("what makes a pass with one library unpacked run again with everything: its own signal and a stopped scratch server, nothing else")
    func retries() {
        #expect(PointInTimeRestore.unpackEverything(after: UnpackEverything(reason: "renamed")))
        #expect(PointInTimeRestore.unpackEverything(after: ArchiveError(.scratchStopped, "the scratch server stopped during replay: …")))
        #expect(!PointInTimeRestore.unpackEverything(after: ArchiveError(.replay, "replay stopped at 0/5000000 in the WAL segment …")))
        #expect(!PointInTimeRestore.unpackEverything(after: CancellationError()))
    }
}
