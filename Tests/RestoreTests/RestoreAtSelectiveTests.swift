import Backups
#if canImport(CDispatch)
import CDispatch  // stat and its fields: with MemberImportVisibility, a clean build finds them defined there
#endif
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing
import UndoWindow

/// `restore --at` unpacks only the library it restores (``SelectiveUnpack``): the others are
/// zero-filled sparse files, which replay writes through; a library renamed since the base
/// backup is noticed and everything unpacked; a disk too small is refused before anything.
@Suite("undo window: restore --at unpacks one library", .serialized, .timeLimit(.minutes(5)))
struct RestoreAtSelectiveTests {
    /// PostgreSQL's default, which the test clusters turn off for speed: without it every library is unpacked.
    static let fullPageWrites = ["full_page_writes = on"]

    /// Two more libraries beside "Resolve", made before the agent's first base backup.
    static func addLibraries(_ cluster: PostgresCluster) async throws {
        try await cluster.createDatabase("Other")
        try await cluster.execute("""
            CREATE TABLE shots (id int PRIMARY KEY, take int, note text);
            INSERT INTO shots SELECT i, 1, repeat('x', 200) FROM generate_series(1, 20000) i;
            CREATE TABLE stills AS SELECT i AS id FROM generate_series(1, 50000) i;
            """, database: "Other")
        try await cluster.createDatabase("Third")
        try await cluster.execute("CREATE TABLE reels AS SELECT i AS id, md5(i::text) AS name FROM generate_series(1, 5000) i", database: "Third")
    }

    /// Three libraries with full-page writes, `backup-agent run` archiving them from its first
    /// base backup; the agent is stopped after `body` and must exit 0.
    static func archivingThreeLibraries(_ body: (PostgresCluster, ArchiveHarness) async throws -> Void) async throws {
        try await ArchiveHarness.with(settings: fullPageWrites) { cluster, archive in
            try await addLibraries(cluster)
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            try await body(cluster, archive)
            #expect(await archive.stop(agent) == 0)
        }
    }

    @Test("restore --at of one library zero-fills the other two; changes to all three after the base backup replay; each library restores right")
    func otherLibrariesZeroFilled() async throws {
        try await Self.archivingThreeLibraries { cluster, archive in
            // After the base backup: updates (full-page images), a VACUUM of changed pages and
            // one of a table untouched since the base backup (visibility records that carry no
            // image: invalid pages in a zero-filled library), a new table, a dropped table, in
            // the libraries that are zero-filled when "Resolve" is restored, and the other way round.
            try await cluster.execute("UPDATE shots SET take = 2 WHERE id % 3 = 0; CREATE TABLE cues AS SELECT i AS id FROM generate_series(1, 700) i", database: "Other")
            try await cluster.execute("VACUUM shots", database: "Other")
            try await cluster.execute("VACUUM stills", database: "Other")
            try await cluster.execute("DROP TABLE reels; CREATE TABLE reels2 (id int)", database: "Third")
            let timeline = try await archive.addTimeline("Zeroed beside", items: 5)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            try await cluster.execute("UPDATE shots SET take = 3; DROP TABLE cues", database: "Other")
            try await Task.sleep(for: .milliseconds(500))

            let resolve = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve one"])
            #expect(resolve.status == 0, "\(resolve.stderr)")
            #expect(resolve.stdout.contains("zero_filled_libraries=2"), "\(resolve.stdout)")
            #expect(!resolve.stdout.contains("unpacking the whole base backup"), "\(resolve.stdout)")
            #expect(try await archive.clips(timeline, in: "Resolve one") == 5)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)

            let other = try await archive.run(["restore", "--db", "Other", "--at", noted, "--as", "Other one"])
            #expect(other.status == 0, "\(other.stderr)")
            #expect(other.stdout.contains("zero_filled_libraries=2"), "\(other.stdout)")
            #expect(!other.stdout.contains("unpacking the whole base backup"), "\(other.stdout)")
            let takes = try await cluster.query("SELECT count(*) FILTER (WHERE take = 2), count(*), (SELECT count(*) FROM cues), (SELECT sum(id) FROM stills) FROM shots", database: "Other one")
            #expect(takes.rows.first == ["6666", "20000", "700", "1250025000"], "\(takes.rows)")
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }

    @Test("the unpack itself: the other libraries' relation files sparse (no blocks) and of their size, their PG_VERSION real, the restored library whole; the manifest holds the OIDs and full_page_writes")
    func unpackedFiles() async throws {
        try await ArchiveHarness.with(settings: Self.fullPageWrites) { cluster, archive in
            try await Self.addLibraries(cluster)
            let primary = PrimarySettings(host: "127.0.0.1", port: cluster.port, user: "postgres", password: cluster.password, sslMode: "disable")
            let base = try await BaseBackupJob(primary: primary, layout: archive.layout, logger: Logger(label: "test")).run()
            let rows = try await cluster.query("SELECT datname, oid FROM pg_database WHERE datallowconn AND NOT datistemplate").rows
            let expected = Dictionary(uniqueKeysWithValues: rows.map { ($0[0] ?? "", UInt32($0[1] ?? "") ?? 0) })
            #expect(base.manifest.databaseOIDs == expected)
            #expect(base.manifest.fullPageWrites == true)
            let plan = try #require(SelectiveUnpack.plan(base.manifest, keeping: "Resolve"))
            #expect(plan.zeroed == [expected["Other"] ?? 0, expected["Third"] ?? 0])

            let (scratch, lock) = try ScratchCluster.create(in: archive.layout, binaries: "")
            defer {
                lock?.release()
                unlink(scratch.root + ".lock")
            }
            let manifest = try Data(contentsOf: URL(fileURLWithPath: base.path + "/backup_manifest"))
            let files = try #require(SelectiveUnpack.files(fromBackupManifest: manifest))
            try await scratch.unpack(base, selective: plan, files: files)
            var zeroFilled = (files: 0, bytes: Int64(0))
            var whole = (files: 0, blocks: Int64(0))
            for file in files {
                var info = stat()
                guard stat(scratch.dataDirectory + "/" + file.path, &info) == 0 else {
                    Issue.record("\(file.path) was not unpacked")
                    continue
                }
                #expect(Int64(info.st_size) == file.size, "\(file.path)")
                if plan.isZeroed(file.path) {
                    #expect(info.st_blocks == 0, "\(file.path) should be sparse: \(info.st_blocks) blocks")
                    zeroFilled = (zeroFilled.files + 1, zeroFilled.bytes + file.size)
                } else if file.path.hasPrefix("base/\(plan.kept)/"), file.size > 0 {
                    whole = (whole.files + 1, whole.blocks + Int64(info.st_blocks))
                }
            }
            #expect(zeroFilled.files > 100 && zeroFilled.bytes > 4_000_000, "\(zeroFilled)")
            #expect(whole.files > 100 && whole.blocks > 0, "\(whole)")
            let version = try String(contentsOfFile: scratch.dataDirectory + "/base/\(expected["Other"] ?? 0)/PG_VERSION", encoding: .utf8)
            #expect(version.trimmingCharacters(in: .whitespacesAndNewlines) == String(try await cluster.majorVersion()))
            await scratch.remove()
            #expect(archive.scratchLeftovers.filter { !$0.hasSuffix(".lock") }.isEmpty)
        }
    }

    @Test("a library renamed after the base backup (its name now another database's): noticed, everything unpacked, the right library restored")
    func renamedSinceBase() async throws {
        try await Self.archivingThreeLibraries { cluster, archive in
            let timeline = try await archive.addTimeline("Renamed", items: 3)
            // "Other" is now what was "Resolve": a pass that kept the base backup's "Other" would dump the wrong one.
            try await cluster.execute(#"ALTER DATABASE "Other" RENAME TO "Other before""#)
            try await cluster.execute(#"ALTER DATABASE "Resolve" RENAME TO "Other""#)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .seconds(3))

            let result = try await archive.run(["restore", "--db", "Other", "--at", noted, "--as", "Other then"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("unpacking the whole base backup and replaying again"), "\(result.stdout)")
            #expect(result.stdout.contains("renamed or made again since"), "\(result.stdout)")
            #expect(try await archive.clips(timeline, in: "Other then") == 3)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }

    @Test("too little free space for the scratch server: refused in one line before anything is unpacked; nothing left behind; fine once space is freed",
          .enabled(if: SystemAccount.isRoot, "mounting a small tmpfs needs root"))
    func tooLittleSpace() async throws {
        try await ArchiveHarness.with { cluster, archive in
            try await ChildProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=400m,mode=0755", "tmpfs", archive.backupDirectory]).output()
            defer { _ = umount(archive.backupDirectory) }
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let timeline = try await archive.addTimeline("Tight", items: 2)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .seconds(3))
            #expect(await archive.stop(agent) == 0)

            // Leave 40 MB (the reserve alone is a tenth: 40 MB).
            var info = statvfs()
            try #require(statvfs(archive.backupDirectory, &info) == 0)
            let ballast = Int64(info.f_bavail) * Int64(info.f_frsize) - 40 * 1_048_576
            try await ChildProcess("/usr/bin/fallocate", ["-l", String(ballast), archive.backupDirectory + "/ballast"]).output()
            let before = try FileManager.default.subpathsOfDirectory(atPath: archive.backupDirectory).filter { !$0.hasPrefix(".scratch") }.sorted()

            let refused = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve tight"])
            #expect(refused.status == 1)
            let line = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.hasPrefix("restore --at needs "), "\(refused.stderr)")
            #expect(line.contains("free in \(archive.backupDirectory) for its scratch server") && line.contains("free space in BACKUP_DIR"), "\(line)")
            #expect(try await archive.databaseExists("Resolve tight") == false)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            let after = try FileManager.default.subpathsOfDirectory(atPath: archive.backupDirectory).filter { !$0.hasPrefix(".scratch") }.sorted()
            #expect(after == before)

            try FileManager.default.removeItem(atPath: archive.backupDirectory + "/ballast")
            let fine = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve tight"])
            #expect(fine.status == 0, "\(fine.stderr)")
            #expect(try await archive.clips(timeline, in: "Resolve tight") == 2)
        }
    }
}
