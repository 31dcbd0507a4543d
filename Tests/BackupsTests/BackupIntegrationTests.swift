@testable import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// `backup-agent` end to end on a real PostgreSQL: the built binary, real pg_dump, real files.
@Suite("backup-agent on a real server", .timeLimit(.minutes(5)))
struct BackupIntegrationTests {
    @Test("round trip: auto-discovery, gunzip | psql restores every table; a non-Resolve database is skipped")
    func roundTrip() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve Main")
            try await ResolveFixture.populate(cluster, database: "Resolve Main", projects: 4)
            try await cluster.createDatabase("scratch")
            try await cluster.execute("CREATE TABLE notes (t text)", database: "scratch")

            let (status, stdout, stderr) = try await agent.run(["backup"])
            #expect(status == 0, "\(stderr)")
            #expect(stdout.contains("discovered Resolve libraries"))
            #expect(stdout.contains("found=\"Resolve Main\"") || stdout.contains("found=Resolve"))
            #expect(stdout.contains("scratch"))
            #expect(!FileManager.default.fileExists(atPath: agent.backupDirectory + "/scratch"))
            let files = agent.backups(of: "Resolve Main")
            #expect(files.count == 1)
            let file = try #require(files.first)
            #expect(file.hasPrefix("Resolve Main_backup_") && file.hasSuffix(".sql.gz"))

            let manifest = try agent.manifest(of: "Resolve Main", file: file)
            #expect(manifest.database == "Resolve Main")
            #expect(manifest.resolve.projects.count == 4)
            #expect(manifest.resolve.schemaVersion == "18.6.0.0015")
            #expect(manifest.resolve.projects.contains { $0.name == "Spot 1 O'Brien – Café 東京" && $0.folder == "" })
            #expect(manifest.resolve.projects.contains { $0.name == "Spot 2" && $0.folder == "Clients/Commercials" && $0.lastModified == Date(timeIntervalSince1970: 1_790_000_002) })
            #expect(manifest.unchangedFrom == nil)
            let size = try FileManager.default.attributesOfItem(atPath: agent.path("Resolve Main", file))[.size] as? NSNumber
            #expect(size?.int64Value == manifest.compressedBytes)
            let sha = try await ChildProcess("/usr/bin/sha256sum", [agent.path("Resolve Main", file)]).output()
            #expect(sha.hasPrefix(manifest.sha256))
            let globals = try FileManager.default.attributesOfItem(atPath: agent.backupDirectory + "/.laterbase/globals.sql")
            #expect((globals[.posixPermissions] as? Int) == 0o600)

            try await agent.restoreWithPsql(file, of: "Resolve Main", into: "restored")
            let original = try await ResolveFixture.digests(cluster, database: "Resolve Main")
            let restored = try await ResolveFixture.digests(cluster, database: "restored")
            #expect(original == restored)
            #expect(original["BtThumnail"]?.hasPrefix("20:") == true)
        }
    }

    @Test("an unchanged library adds no bytes but still makes a point in time")
    func unchanged() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2)
            // Keep every backup of the last day, or retention would keep only the newest of this hour.
            let keepAll = ["BACKUP_RETENTION_DAYS": "1"]
            #expect(try await agent.run(["backup", "--db", "Resolve"], keepAll).status == 0)
            #expect(try await agent.run(["backup", "--db", "Resolve"], keepAll).status == 0)
            let files = agent.backups(of: "Resolve")
            try #require(files.count == 2)
            let first = try agent.manifest(of: "Resolve", file: files[0])
            let second = try agent.manifest(of: "Resolve", file: files[1])
            #expect(second.unchangedFrom == files[0])
            #expect(second.sha256 == first.sha256)
            var a = stat(), b = stat()
            #expect(stat(agent.path("Resolve", files[0]), &a) == 0 && stat(agent.path("Resolve", files[1]), &b) == 0)
            #expect(a.st_ino == b.st_ino, "the second backup should be a hard link to the first")
            #expect(a.st_nlink == 2)

            try await cluster.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = "LastModTimeInSecs" + 1"#, database: "Resolve")
            #expect(try await agent.run(["backup", "--db", "Resolve"], keepAll).status == 0)
            let third = try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").last))
            #expect(third.unchangedFrom == nil)
            #expect(third.contentFingerprint != first.contentFingerprint)
        }
    }

    @Test("kill -9 mid-pass leaves nothing that passes for a backup; the next pass succeeds and tidies up")
    func killed() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2)
            try await cluster.withTableLocked("BtThumnail", database: "Resolve") {
                let process = try agent.start(["backup", "--db", "Resolve"])
                let started = await poll(timeout: .seconds(30)) { agent.files(of: "Resolve").contains { $0.hasSuffix(".partial") } }
                #expect(started)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try await cluster.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'laterbase-backup'")
            }
            #expect(agent.backups(of: "Resolve").isEmpty)
            #expect(!agent.files(of: "Resolve").contains { $0.hasSuffix(".json") })
            let (status, _, stderr) = try await agent.run(["backup", "--db", "Resolve"])
            #expect(status == 0, "\(stderr)")
            #expect(agent.backups(of: "Resolve").count == 1)
            #expect(!agent.files(of: "Resolve").contains { $0.hasSuffix(".partial") })
        }
    }

    @Test("SIGTERM during a pass: pg_dump stopped, partial file removed, exit 0")
    func sigterm() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            try await cluster.withTableLocked("BtThumnail", database: "Resolve") {
                let process = try agent.start(["run"], ["BACKUP_ON_START": "true", "PRIMARY_DBS": "Resolve"])
                let started = await poll(timeout: .seconds(30)) { agent.files(of: "Resolve").contains { $0.hasSuffix(".partial") } }
                #expect(started)
                let elapsed = await process.signalAndTime(SIGTERM)
                #expect(elapsed != nil && elapsed! < .seconds(15), "\(String(describing: elapsed))")
                #expect(process.terminationStatus == 0)
            }
            // Once the lock is gone the server notices that pg_dump went away and ends its session.
            let dumpGone = try await poll(timeout: .seconds(15)) {
                try await cluster.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'laterbase-backup'").scalar == "0"
            }
            #expect(dumpGone, "pg_dump should have been stopped")
            #expect(agent.files(of: "Resolve").isEmpty, "\(agent.files(of: "Resolve"))")
        }
    }

    @Test("primary down: the failure is recorded, earlier backups untouched, healthcheck turns unhealthy")
    func primaryDown() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            let before = try await agent.run(["healthcheck"])
            #expect(before.status == 1)
            #expect(before.stdout == "unhealthy: no backup pass has run yet\n")

            #expect(try await agent.run(["backup"]).status == 0)
            let healthy = try await agent.run(["healthcheck"])
            #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
            #expect(healthy.stdout.hasPrefix("healthy: 1 database(s) backed up"))
            let first = try #require(agent.backups(of: "Resolve").first)
            let firstBytes = try Data(contentsOf: URL(fileURLWithPath: agent.path("Resolve", first)))

            await cluster.stop()
            let (status, _, stderr) = try await agent.run(["backup", "--db", "Resolve"])
            #expect(status == 1)
            #expect(stderr.contains("backup failed for Resolve: cannot reach PostgreSQL at postgres@127.0.0.1:\(cluster.port)/Resolve"))
            #expect(stderr.split(separator: "\n").count == 1)
            #expect(!stderr.contains(cluster.password.reveal()))
            #expect(agent.backups(of: "Resolve") == [first])
            #expect(try Data(contentsOf: URL(fileURLWithPath: agent.path("Resolve", first))) == firstBytes)
            let unhealthy = try await agent.run(["healthcheck"])
            #expect(unhealthy.status == 1)
            #expect(unhealthy.stdout.hasPrefix("unhealthy: the last pass failed for Resolve"))

            let stale = try await agent.run(["healthcheck"], ["HEALTH_MAX_BACKUP_AGE": "1s"])
            #expect(stale.status == 1)
        }
    }

    @Test("a backup older than HEALTH_MAX_BACKUP_AGE is unhealthy")
    func staleBackup() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            #expect(try await agent.run(["backup"]).status == 0)
            try await Task.sleep(for: .seconds(2))
            let stale = try await agent.run(["healthcheck"], ["HEALTH_MAX_BACKUP_AGE": "1s"])
            #expect(stale.status == 1)
            #expect(stale.stdout.hasPrefix("unhealthy: the newest backup of Resolve is"))
        }
    }

    @Test("a second agent cannot write the same BACKUP_DIR at the same time")
    func lockContention() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            try FileManager.default.createDirectory(atPath: agent.backupDirectory + "/.laterbase", withIntermediateDirectories: true)
            let lock = try #require(try DirectoryLock.tryAcquire(agent.backupDirectory + "/.laterbase/lock"))
            let (status, _, stderr) = try await agent.run(["backup"])
            #expect(status == 1)
            #expect(stderr == "another backup-agent (pid \(getpid())) is writing \(agent.backupDirectory); wait for it to finish or stop it\n")
            #expect(agent.backups(of: "Resolve").isEmpty)
            lock.release()
            #expect(try await agent.run(["backup"]).status == 0)
        }
    }

    @Test("pg_dump older than the server is refused with the fix")
    func oldPgDump() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            defer { agent.remove() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 1)
            // Fault injection: a pg_dump that reports an old major version.
            let bin = agent.backupDirectory + "-oldbin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: bin) }
            try "#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.22'\n".write(toFile: bin + "/pg_dump", atomically: true, encoding: .utf8)
            chmod(bin + "/pg_dump", 0o755)
            let (status, _, stderr) = try await agent.run(["backup"], ["PG_BINDIR": bin])
            #expect(status == 1)
            #expect(stderr.contains("pg_dump 12 is older than the server (PostgreSQL \(try await cluster.majorVersion()))"), "\(stderr)")
            #expect(agent.backups(of: "Resolve").isEmpty)
        }
    }

    @Test("configuration errors exit 78 before anything is touched")
    func configuration() async throws {
        let directory = NSTemporaryDirectory() + "laterbase-untouched-\(UUID().uuidString)"
        let result = try await runProduct("backup-agent", ["backup"], environment: [
            "PRIMARY_HOST": "127.0.0.1", "BACKUP_DIR": directory, "BACKUP_SCHEDULE": "every hour",
        ])
        #expect(result.status == 78)
        #expect(result.stderr.hasPrefix("configuration error: BACKUP_SCHEDULE is invalid"))
        #expect(!FileManager.default.fileExists(atPath: directory))
    }
}
