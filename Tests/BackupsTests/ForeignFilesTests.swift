import Foundation
import LaterbaseTestSupport
import Testing

/// Laterbase deletes only what it made: its backups and manifests (retention) and its own
/// unfinished files (the next pass). A foreign file, even one ending in `.partial`, and a folder
/// named like a backup are left alone, with one warning.
@Suite("foreign files in a library folder", .timeLimit(.minutes(5)))
struct ForeignFilesTests {
    @Test("a foreign x.partial and a folder named like a backup survive a pass and a prune; Laterbase's own leftovers go")
    func foreignFilesSurvive() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 16)
            let first = try await agent.run(["backup"])
            try #require(first.status == 0, "\(first.stderr)")
            let real = try #require(agent.backups(of: "Resolve").first)
            let manager = FileManager.default

            // Someone else's files, and a folder named like a 2020 backup with a manifest beside it
            // (a copy of a real one), which retention would otherwise remove as expired.
            let foreign = agent.path("Resolve", "x.partial")
            try Data("not ours".utf8).write(to: URL(fileURLWithPath: foreign))
            let folder = agent.path("Resolve", "Resolve_backup_20200101_000000.sql.gz")
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: false)
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: folder + "/inside.txt"))
            let folderManifest = agent.path("Resolve", "Resolve_backup_20200101_000000.json")
            try manager.copyItem(atPath: agent.path("Resolve", real.replacingOccurrences(of: ".sql.gz", with: ".json")), toPath: folderManifest)
            // Laterbase's own unfinished files of an interrupted pass: the current name and the old one.
            let leftovers = [agent.path("Resolve", ".laterbase-Resolve_backup_20200101_010000.sql.gz.partial"),
                             agent.path("Resolve", ".Resolve_backup_20200101_020000.sql.gz.partial")]
            for leftover in leftovers { try Data("half".utf8).write(to: URL(fileURLWithPath: leftover)) }

            let pass = try await agent.run(["backup"])
            #expect(pass.status == 0, "\(pass.stderr)")
            let survivors = [foreign, folder, folder + "/inside.txt", folderManifest]
            for path in survivors { #expect(manager.fileExists(atPath: path), "a pass removed \(path)") }
            for leftover in leftovers { #expect(!manager.fileExists(atPath: leftover), "a pass left \(leftover)") }
            let warnings = pass.stdout.components(separatedBy: "not made by Laterbase").count - 1
            #expect(warnings == 1, "one warning per pass: \(pass.stdout)")
            #expect(pass.stdout.contains("x.partial") && pass.stdout.contains("Resolve_backup_20200101_000000.sql.gz"))

            let prune = try await agent.run(["prune"])
            #expect(prune.status == 0, "\(prune.stderr)")
            for path in survivors { #expect(manager.fileExists(atPath: path), "prune removed \(path)") }
        }
    }
}
