import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// A backup folder that runs out of space, on a real 3 MiB tmpfs.
@Suite("disk full", .timeLimit(.minutes(3)), .enabled(if: SystemAccount.isRoot, "mounting a small tmpfs needs root"))
struct DiskFullTests {
    @Test("a full disk fails that library with advice, removes the partial file and keeps earlier backups")
    func diskFull() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await ChildProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", agent.backupDirectory]).output()
            defer { _ = umount(agent.backupDirectory) }
            try await cluster.createDatabase("Small")
            try await ResolveFixture.populate(cluster, database: "Small", projects: 1, blobKilobytes: 4)
            try await cluster.createDatabase("Big")
            try await ResolveFixture.populate(cluster, database: "Big", projects: 2, blobKilobytes: 512)

            #expect(try await agent.run(["backup", "--db", "Small"]).status == 0)
            let small = try #require(agent.backups(of: "Small").first)
            let (status, _, stderr) = try await agent.run(["backup", "--db", "Big"])
            #expect(status == 1)
            #expect(stderr.contains("backup failed for Big: cannot write the backup file: No space left on device; free space in BACKUP_DIR"), "\(stderr)")
            #expect(agent.files(of: "Big").isEmpty, "\(agent.files(of: "Big"))")
            #expect(agent.backups(of: "Small") == [small])
            let verify = try await agent.run(["verify", small])
            #expect(verify.status == 0, "\(verify.stdout)")
            let health = try await agent.run(["healthcheck"])
            #expect(health.status == 1)
            #expect(health.stdout.hasPrefix("unhealthy: the last pass failed for Big: cannot write the backup file: No space left on device"))
        }
    }
}
