import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// `backup-agent export`: a library as a custom-format archive that `pg_restore` (of the server's
/// major version: CI runs this on 13 too) reads and restores, from a dump and from a moment
/// while the Resolve server is down (so it cannot have been touched), and live; bad input refused.
@Suite("export: a Resolve-restorable .backup", .serialized, .timeLimit(.minutes(5)))
struct ExportTests {
    static func tables(_ cluster: PostgresCluster, _ database: String) async throws -> [String: String] {
        let names = try await cluster.query("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", database: database).rows.compactMap { $0[0] }
        var counts: [String: String] = [:]
        for name in names { counts[name] = try await cluster.query("SELECT count(*) FROM \(name)", database: database).scalar }
        return counts
    }

    /// `pg_restore --list`, then `pg_restore` into a new empty UTF8 database on `cluster`.
    static func restore(_ file: String, into database: String, on cluster: PostgresCluster) async throws {
        let pgRestore = try PostgresTools().require("pg_restore")
        _ = try await ChildProcess(pgRestore, ["--list", file]).output()
        try await cluster.createDatabase(database)
        var restore = ChildProcess(pgRestore, ["--exit-on-error", "--no-password", "-d", database, file])
        restore.connect(to: cluster.parameters(database: database), application: "export-test")
        _ = try await restore.output()
    }

    @Test("--backup and --at with the Resolve server down, then --live: pg_restore reads and restores each with the library's rows; the .sha256 matches; bad --out, an existing file and a time outside the window leave nothing")
    func exports() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let folder = archive.backupDirectory + ".exports"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let timeline = try await archive.addTimeline("Edit v9", items: 5)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            #expect(try await archive.run(["backup"]).status == 0)
            try await Task.sleep(for: .seconds(2))
            #expect(await archive.stop(agent) == 0)
            let live = try await Self.tables(cluster, "Resolve")
            let dump = try #require(try FileManager.default.contentsOfDirectory(atPath: archive.backupDirectory + "/Resolve").first { $0.hasSuffix(".sql.gz") })

            // The Resolve server down: an export that touched it would fail.
            await cluster.stop()
            let fromDump = try await archive.run(["export", "--db", "Resolve", "--backup", dump, "--out", folder])
            #expect(fromDump.status == 0, "\(fromDump.stderr)")
            let fromMoment = try await archive.run(["export", "--db", "Resolve", "--at", noted, "--out", folder + "/at-noted.backup"])
            #expect(fromMoment.status == 0, "\(fromMoment.stderr)")
            try await cluster.restart()
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")

            let stamp = String(dump.dropFirst("Resolve_backup_".count).dropLast(".sql.gz".count))
            let dumpFile = folder + "/Resolve_\(stamp).backup"
            #expect(FileManager.default.fileExists(atPath: dumpFile), "\((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])")
            let checksum = try String(contentsOfFile: dumpFile + ".sha256", encoding: .utf8)
            // sha256sum -c reads it as written.
            var sha256sum = ChildProcess("/usr/bin/sha256sum", ["-c", "Resolve_\(stamp).backup.sha256"])
            sha256sum.workingDirectory = folder
            let checked = try await sha256sum.output()
            #expect(checked == "Resolve_\(stamp).backup: OK\n", "\(checksum)")
            #expect(fromDump.stdout.contains("exported \(dumpFile)"), "\(fromDump.stdout)")

            try await Self.restore(dumpFile, into: "from dump", on: cluster)
            #expect(try await Self.tables(cluster, "from dump") == live)
            try await Self.restore(folder + "/at-noted.backup", into: "from moment", on: cluster)
            #expect(try await archive.clips(timeline, in: "from moment") == 5)
            let encoding = try await cluster.query("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'from moment'").scalar
            #expect(encoding == "UTF8")

            let fromLive = try await archive.run(["export", "--db", "Resolve", "--live", "--out", folder + "/live.backup"])
            #expect(fromLive.status == 0, "\(fromLive.stderr)")
            try await Self.restore(folder + "/live.backup", into: "from live", on: cluster)
            #expect(try await Self.tables(cluster, "from live") == live)

            // Refusals: one line each, nothing new in the folder, no scratch server left.
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
            let notAFolder = try await archive.run(["export", "--db", "Resolve", "--live", "--out", folder + "/nowhere/x"])
            #expect(notAFolder.status == 1 && notAFolder.stderr.contains("neither an existing folder nor a path ending in .backup"), "\(notAFolder.stderr)")
            let existing = try await archive.run(["export", "--db", "Resolve", "--live", "--out", folder + "/live.backup"])
            #expect(existing.status == 1 && existing.stderr.contains("export never overwrites a file"), "\(existing.stderr)")
            let outside = try await archive.run(["export", "--db", "Resolve", "--at", "2001-01-01 00:00:00", "--out", folder])
            #expect(outside.status == 1 && outside.stderr.contains("before the oldest restorable time"), "\(outside.stderr)")
            let twoSources = try await archive.run(["export", "--db", "Resolve", "--live", "--at", noted, "--out", folder])
            #expect(twoSources.status == 64, "\(twoSources.stderr)")
            for result in [notAFolder, existing, outside] { #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)") }
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == before)
            #expect(archive.scratchLeftovers.isEmpty)
        }
    }

    @Test("an export folder that cannot hold the library: refused in one line before pg_dump, nothing written",
          .enabled(if: SystemAccount.isRoot, "mounting a small tmpfs needs root"))
    func noSpace() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 256)
            let folder = agent.backupDirectory + ".small"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try await ChildProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", folder]).output()
            defer {
                _ = umount(folder)
                try? FileManager.default.removeItem(atPath: folder)
            }
            let refused = try await agent.run(["export", "--db", "Resolve", "--live", "--out", folder])
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("exporting needs about ") && refused.stderr.contains("free space or choose another --out"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }
}
