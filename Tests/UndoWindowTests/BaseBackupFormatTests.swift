import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing
@testable import UndoWindow

/// Base backups are zstd tar files (pg_basebackup 15 compresses; 13 and 14 write plain tar that
/// zstd compresses after); gzip ones, made before, and plain ones restore too.
@Suite("undo window: base backup formats", .serialized, .timeLimit(.minutes(5)))
struct BaseBackupFormatTests {
    @Test("the plan: zstd by pg_basebackup 15+, zstd after 13 and 14, gzip without the zstd program")
    func plan() {
        let v15 = PostgresMajorVersion(versionText: "pg_basebackup (PostgreSQL) 15.8 (Debian 15.8-1.pgdg120+1)")
        #expect(v15?.code == 15)
        #expect(BaseBackupCompression.plan(pgBasebackupMajor: v15, zstd: "/usr/bin/zstd")
            == .init(arguments: ["--compress=client-zstd:1"], zstdAfterwards: false, compression: .zstd))
        #expect(BaseBackupCompression.plan(pgBasebackupMajor: PostgresMajorVersion(code: 13), zstd: "/usr/bin/zstd")
            == .init(arguments: [], zstdAfterwards: true, compression: .zstd))
        #expect(BaseBackupCompression.plan(pgBasebackupMajor: v15, zstd: nil) == .init(arguments: ["-z"], zstdAfterwards: false, compression: .gzip))
        #expect(BaseBackupCompression.allCases.map(\.suffix) == [".tar.zst", ".tar.gz", ".tar"])
    }

    @Test("a base backup of each format (zstd by pg_basebackup, zstd after, gzip, plain) restores a timeline made after it")
    func everyFormatRestores() async throws {
        guard let zstd = PostgresTools().find("zstd") else {
            Issue.record("the zstd program is needed (the agent's image has it)")
            return
        }
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let first = try #require(StoredBaseBackup.all(in: archive.layout).first)
            #expect(FileManager.default.fileExists(atPath: first.path + "/base.tar.zst"), "\((try? FileManager.default.contentsOfDirectory(atPath: first.path)) ?? [])")
            let plans: [(String, BaseBackupCompression.Plan, String)] = [
                ("zstd after", BaseBackupCompression.plan(pgBasebackupMajor: PostgresMajorVersion(code: 13), zstd: zstd), "base.tar.zst"),
                ("gzip", BaseBackupCompression.plan(pgBasebackupMajor: nil, zstd: nil), "base.tar.gz"),
                ("plain", .init(arguments: [], zstdAfterwards: false, compression: .none), "base.tar"),
            ]
            let primary = PrimarySettings(host: "127.0.0.1", port: cluster.port, user: "postgres", password: cluster.password, sslMode: "disable")
            for (index, (name, plan, file)) in plans.enumerated() {
                try await Task.sleep(for: .milliseconds(1100))  // base backup folders are named by the second
                var job = BaseBackupJob(primary: primary, layout: archive.layout, logger: Logger(label: "test"))
                job.compression = plan
                let base = try await job.run()
                let files = try FileManager.default.contentsOfDirectory(atPath: base.path)
                #expect(files.contains(file), "\(name): \(files)")
                #expect(!files.contains { $0.hasSuffix(".tar") && $0 != file && plan.compression != .none }, "\(name): \(files)")

                let timeline = try await archive.addTimeline("After \(name)", items: index + 2)
                try await Task.sleep(for: .milliseconds(1200))
                let noted = ArchiveHarness.text(Date())
                try await Task.sleep(for: .milliseconds(1200))
                let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve \(name)"])
                #expect(result.status == 0, "\(name): \(result.stderr)")
                #expect(result.stdout.contains("base=\(base.name)"), "\(name): restored from another base backup: \(result.stdout)")
                #expect(try await archive.clips(timeline, in: "Resolve \(name)") == index + 2, "\(name)")
                #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            }
            #expect(await archive.stop(agent) == 0)
        }
    }
}
