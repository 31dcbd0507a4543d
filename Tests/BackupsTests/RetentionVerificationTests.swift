import Foundation
import LaterbaseTestSupport
import Testing

/// Retention counts a backup as kept only once it is verified against its manifest: a damaged
/// file (truncated, a flipped byte) is reported, never counted, never the reason an intact
/// backup goes; hard-linked names of an unchanged library are one file, read once.
@Suite("retention and verification of damaged backups", .timeLimit(.minutes(5)))
struct RetentionVerificationTests {
    /// The file's inode number (hard links share one).
    static func inode(_ path: String) throws -> UInt64 {
        try #require((try FileManager.default.attributesOfItem(atPath: path))[.systemFileNumber] as? NSNumber).uint64Value
    }

    /// Keeps every backup of the last day while the test makes them.
    static let keepAll = ["BACKUP_RETENTION_DAYS": "1"]

    @Test("a truncated newest backup: prune keeps an intact one of its hour and reports the damaged one")
    func truncatedNewest() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 16)
            for _ in 0..<3 {
                let pass = try await agent.run(["backup", "--db", "Resolve"], Self.keepAll)
                try #require(pass.status == 0, "\(pass.stderr)")
                // A change, so each backup is a file of its own (not a hard link to the one before).
                try await cluster.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = "LastModTimeInSecs" + 1"#, database: "Resolve")
            }
            let files = agent.backups(of: "Resolve")
            try #require(files.count == 3)
            // Names carry the time: all three of one hour (YYYYMMDD_HH).
            let hours = Set(files.map { $0.split(separator: "_").suffix(2).joined(separator: "_").prefix(11) })
            try #require(hours.count == 1, "the backups straddle an hour: \(files)")
            let newest = agent.path("Resolve", files[2])
            let handle = try #require(FileHandle(forUpdatingAtPath: newest))
            let size = try handle.seekToEnd()
            try handle.truncate(atOffset: size / 2)
            try handle.close()

            let prune = try await agent.run(["prune"])
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(agent.backups(of: "Resolve") == [files[1], files[2]], "an intact backup of the hour must stay: \(agent.backups(of: "Resolve"))")
            #expect(prune.stdout.contains("damaged  Resolve/\(files[2])"), "\(prune.stdout)")

            let health = try await agent.run(["healthcheck"])
            #expect(health.status == 1)
            #expect(health.stdout.contains("1 damaged backup(s)") && health.stdout.contains(files[2]), "\(health.stdout)")
            let list = try await agent.run(["list"])
            let line = list.stdout.split(separator: "\n").first { $0.contains(files[2]) } ?? ""
            #expect(line.contains("DAMAGED"), "\(list.stdout)")
            // Pruning again removes nothing more: the damaged file is never the reason.
            let again = try await agent.run(["prune"])
            #expect(again.status == 0)
            #expect(agent.backups(of: "Resolve") == [files[1], files[2]])
        }
    }

    @Test("a flipped byte in a hard-linked file: verify --all reads it once and names every backup once")
    func flippedByteInLinkedFile() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 16)
            for _ in 0..<3 {
                let pass = try await agent.run(["backup", "--db", "Resolve"], Self.keepAll)
                try #require(pass.status == 0, "\(pass.stderr)")
            }
            let files = agent.backups(of: "Resolve")
            try #require(files.count == 3)
            let first = try Self.inode(agent.path("Resolve", files[0])), last = try Self.inode(agent.path("Resolve", files[2]))
            try #require(first == last, "an unchanged library's backups should share one file")

            let list = try await agent.run(["list"], Self.keepAll)
            for file in files.dropFirst() {
                let line = list.stdout.split(separator: "\n").first { $0.contains(file) } ?? ""
                #expect(line.contains("same file as \(files[0])"), "\(list.stdout)")
            }

            let path = agent.path("Resolve", files[1])
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: size / 2)
            let byte = try #require(try handle.read(upToCount: 1)).first!
            try handle.seek(toOffset: size / 2)
            try handle.write(contentsOf: [byte ^ 0x55])
            try handle.close()

            let verify = try await agent.run(["verify", "--all"], Self.keepAll)
            #expect(verify.status == 1)
            let lines = verify.stdout.split(separator: "\n").map(String.init)
            for file in files {
                #expect(lines.filter { $0.contains(file) && $0.hasPrefix("FAIL  Resolve/\(file)") }.count == 1, "\(verify.stdout)")
                #expect(lines.filter { $0.hasPrefix("FAIL  Resolve/\(file)") || $0.hasPrefix("OK    Resolve/\(file)") }.count == 1)
            }
            for file in files.dropFirst() {
                #expect(lines.contains { $0.hasPrefix("FAIL  Resolve/\(file)  same file as Resolve/\(files[0])") }, "\(verify.stdout)")
            }
            #expect(!verify.stdout.contains(agent.backupDirectory), "a line names a backup twice: \(verify.stdout)")
            let reads = verify.stderr.components(separatedBy: "reading a backup file to verify it").count - 1
            #expect(reads == 1, "one file, read once: \(verify.stderr)")

            let health = try await agent.run(["healthcheck"], Self.keepAll)
            #expect(health.status == 1)
            #expect(health.stdout.contains("3 damaged backup(s)"), "\(health.stdout)")
            // The next pass does not link the damaged file again.
            #expect(try await agent.run(["backup", "--db", "Resolve"], Self.keepAll).status == 0)
            let fresh = try #require(agent.backups(of: "Resolve").last)
            #expect(try Self.inode(agent.path("Resolve", fresh)) != first)
            #expect(try await agent.run(["verify", fresh], Self.keepAll).status == 0)
        }
    }
}
