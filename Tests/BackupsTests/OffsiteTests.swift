import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Offsite copies through a real rclone remote (`rclone serve webdav` on loopback) and retention.
@Suite("offsite copies and retention", .timeLimit(.minutes(5)))
struct OffsiteTests {
    @Test("backups reach the remote, survive a remote that goes away mid-upload, and catch up")
    func uploads() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            let remote = try RcloneServer()
            defer { agent.remove(); remote.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 512)
            let offsite = ["RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": remote.configPath,
                           "BACKUP_RETENTION_DAYS": "1"]

            let first = try await agent.run(["backup"], offsite)
            #expect(first.status == 0, "\(first.stderr)")
            let file = try #require(agent.backups(of: "Resolve").first)
            let manifestName = String(file.dropLast(".sql.gz".count)) + ".json"
            #expect(remote.files() == ["laterbase/Resolve/\(file)", "laterbase/Resolve/\(manifestName)"].sorted())
            let copied = try Data(contentsOf: URL(fileURLWithPath: remote.served + "/laterbase/Resolve/" + file))
            #expect(copied == (try Data(contentsOf: URL(fileURLWithPath: agent.path("Resolve", file)))))
            #expect(try await agent.run(["list"], offsite).stdout.contains("offsite"))
            #expect(try await agent.run(["healthcheck"], offsite).status == 0)

            // The remote dies while the next copy is on its way (bandwidth-limited so it is slow).
            try await cluster.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = "LastModTimeInSecs" + 60"#, database: "Resolve")
            var slow = offsite
            slow["RCLONE_BWLIMIT"] = "100k"
            let process = try agent.start(["backup"], slow)
            let uploading = await poll(timeout: .seconds(60)) { Self.rcloneCopyRunning() }
            #expect(uploading)
            try await Task.sleep(for: .milliseconds(500))
            remote.kill()
            let finished = await poll(timeout: .seconds(90)) { !process.isRunning }
            #expect(finished)
            #expect(process.terminationStatus == 0, "a failed upload must not fail the local backup")
            let files = agent.backups(of: "Resolve")
            try #require(files.count == 2)
            let health = try await agent.run(["healthcheck"], offsite)
            #expect(health.status == 1)
            #expect(health.stdout.hasPrefix("unhealthy: 1 backup(s) not copied offsite: "), "\(health.stdout)")
            let listed = try await agent.run(["list"], offsite)
            #expect(listed.stdout.contains("\(files[1])") && listed.stdout.contains("local only"))

            // The remote comes back: the next pass copies the backlog too.
            try remote.start()
            #expect(try await agent.run(["backup"], offsite).status == 0)
            let all = agent.backups(of: "Resolve")
            for name in all { #expect(remote.files().contains("laterbase/Resolve/\(name)"), "\(name) missing offsite") }
            #expect(try await agent.run(["healthcheck"], offsite).status == 0)

            // Retention removes expired backups locally and offsite; --dry-run explains first.
            var strict = offsite
            strict["BACKUP_RETENTION_DAYS"] = "0"
            let plan = try await agent.run(["prune", "--dry-run"], strict)
            #expect(plan.status == 0)
            let planLines = plan.stdout.split(separator: "\n").map(String.init)
            #expect(planLines.first?.hasPrefix("keep    Resolve/\(all.last!)  newest, hourly ") == true, "\(plan.stdout)")
            #expect(planLines.filter { $0.hasPrefix("remove  Resolve/") }.count == all.count - 1)
            #expect(agent.backups(of: "Resolve") == all, "--dry-run must not remove anything")
            let prune = try await agent.run(["prune"], strict)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(agent.backups(of: "Resolve") == [all.last!])
            #expect(remote.files().filter { $0.hasSuffix(".sql.gz") } == ["laterbase/Resolve/\(all.last!)"])
        }
    }

    @Test("nothing is pruned after a failed pass")
    func noPruneAfterFailure() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            let keepAll = ["BACKUP_RETENTION_DAYS": "1"]
            #expect(try await agent.run(["backup"], keepAll).status == 0)
            try await cluster.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = 1"#, database: "Resolve")
            #expect(try await agent.run(["backup"], keepAll).status == 0)
            #expect(agent.backups(of: "Resolve").count == 2)
            await cluster.stop()
            let failed = try await agent.run(["backup", "--db", "Resolve"])
            #expect(failed.status == 1)
            #expect(agent.backups(of: "Resolve").count == 2, "a failed pass must not prune")
            let prune = try await agent.run(["prune"])
            #expect(prune.status == 1)
            #expect(prune.stderr.contains("nothing is pruned until a pass succeeds"))
            #expect(agent.backups(of: "Resolve").count == 2)
        }
    }

    /// Whether an `rclone copyto` child is running right now.
    static func rcloneCopyRunning() -> Bool {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.contains { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return argv.first?.hasSuffix("rclone") == true && argv.contains("copyto") && argv.contains { $0.hasSuffix(".sql.gz") }
        }
    }
}
