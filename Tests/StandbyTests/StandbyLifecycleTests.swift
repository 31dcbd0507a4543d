import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
@testable import Standby
import Testing

/// Faults and failover: a re-initialised primary, SIGTERM during the clone, a dead primary, promotion.
@Suite("standby-entrypoint: faults and failover", .timeLimit(.minutes(4)))
struct StandbyLifecycleTests {
    static let primaryOptions = PostgresCluster.Options(replication: true)

    /// The system identifier `pg_controldata` reports for `directory`.
    func systemIdentifier(_ directory: String, tools: PostgresTools) async throws -> String {
        try await ControlData.read(dataDirectory: directory, tools: tools).systemIdentifier
    }

    @Test("a re-initialised primary: never refuses and changes nothing; auto moves the old directory aside and clones again")
    func primaryReinitialised() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { first in
            try await StandbyProcess.withStandby(primary: first) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                await standby.stop()
                let oldID = try await systemIdentifier(standby.dataDirectory, tools: first.tools)
                try await PostgresCluster.withCluster(Self.primaryOptions) { second in
                    try await second.execute("CREATE TABLE fresh_library (id int)")
                    standby.environment["PRIMARY_PORT"] = String(second.port)
                    standby.environment["REPL_PASSWORD"] = second.password.reveal()

                    let refused = try await standby.command(["run"])
                    #expect(refused.status == 1)
                    #expect(refused.stderr.contains("is a copy of the PostgreSQL cluster with system identifier \(oldID)"))
                    #expect(refused.stderr.contains("STANDBY_RECLONE=never, so nothing was changed"))
                    #expect(try await systemIdentifier(standby.dataDirectory, tools: first.tools) == oldID)
                    #expect(FileManager.default.fileExists(atPath: standby.dataDirectory + "/standby.signal"))
                    let siblings = try FileManager.default.contentsOfDirectory(atPath: standby.root)
                    #expect(!siblings.contains { $0.hasPrefix("data.old-") })

                    standby.environment["STANDBY_RECLONE"] = "auto"
                    try standby.start()
                    try await standby.waitUntilHealthy()
                    #expect(try await standby.query("SELECT count(*) FROM fresh_library").scalar == "0")
                    let aside = try #require(try FileManager.default.contentsOfDirectory(atPath: standby.root).first { $0.hasPrefix("data.old-") })
                    #expect(try await systemIdentifier(standby.root + "/" + aside, tools: first.tools) == oldID)
                    #expect(try await systemIdentifier(standby.dataDirectory, tools: first.tools) != oldID)
                    await standby.stop()
                }
            }
        }
    }

    @Test("SIGTERM during the clone stops pg_basebackup, removes the temporary directory and exits non-zero")
    func sigtermMidClone() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.whileCloning(primary: primary) { standby in
                let temporary = standby.cloneTemporaryPath
                #expect(try await primary.query("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'").scalar != "0")
                let sent = ContinuousClock.now
                standby.send(SIGTERM)
                let status = await standby.waitForExit(timeout: .seconds(30))
                #expect(status != nil && status != 0)
                #expect(ContinuousClock.now - sent < .seconds(20))
                #expect(standby.log.contains("stopped by SIGTERM"))
                #expect(!FileManager.default.fileExists(atPath: temporary))
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory))
                // The slot this run created is gone again: it would keep WAL on the primary forever.
                try await standby.waitUntil("the slot to be dropped", timeout: .seconds(10)) {
                    (try? await primary.query("SELECT count(*) FROM pg_replication_slots").scalar) == "0"
                }
            }
        }
    }

    @Test("healthcheck turns unhealthy when the primary dies; a later boot without the primary starts anyway")
    func primaryDown() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await primary.execute("CREATE TABLE edits (id int); INSERT INTO edits VALUES (1)")
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                let healthy = try await standby.command(["healthcheck"])
                #expect(healthy.stdout.hasPrefix("healthy: streaming from 127.0.0.1:\(primary.port)"))
                #expect(healthy.stdout.split(separator: "\n").count == 1)

                await primary.stop()
                try await standby.waitUntil("healthcheck to fail", timeout: .seconds(30)) {
                    (try? await standby.command(["healthcheck"]).status) == 1
                }
                let sick = try await standby.command(["healthcheck"])
                #expect(sick.stdout.hasPrefix("unhealthy: the WAL receiver"))
                #expect(sick.stdout.split(separator: "\n").count == 1)

                await standby.stop()
                try standby.start()
                try await standby.waitUntil("the standby to accept reads", timeout: .seconds(60)) {
                    (try? await standby.query("SELECT count(*) FROM edits").scalar) == "1"
                }
                #expect(standby.log.contains("the primary does not answer; starting the standby anyway"))
                let status = try await standby.command(["status"])
                #expect(status.stdout.contains("role:          standby"))
                #expect(status.stdout.contains("does not answer"))

                try await primary.restart()
                try await standby.waitUntilHealthy()
            }
        }
    }

    @Test("promote refuses while the primary answers, then promotes, waits until writable and says where to connect")
    func promote() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await primary.execute("CREATE TABLE edits (id int)")
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                let refused = try await standby.command(["promote"])
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("still answers"))
                #expect(try await standby.query("SELECT pg_is_in_recovery()").scalar == "t")

                await primary.stop()
                let promoted = try await standby.command(["promote"])
                #expect(promoted.status == 0, "\(promoted.stderr)")
                #expect(promoted.stdout.contains("port 5432"))
                try await standby.query("INSERT INTO edits VALUES (42)")
                #expect(try await standby.query("SELECT count(*) FROM edits").scalar == "1")
                let health = try await standby.command(["healthcheck"])
                #expect(health.status == 1 && health.stdout.contains("not in recovery"))
                let again = try await standby.command(["promote"])
                #expect(again.status == 1 && again.stderr.contains("not a standby"))

                // A restart after the failover keeps serving as the primary while the old one is gone.
                await standby.stop()
                try standby.start()
                try await standby.waitUntil("the promoted server to accept writes", timeout: .seconds(60)) {
                    (try? await standby.query("SELECT pg_is_in_recovery()").scalar) == "f"
                }
                #expect(try await standby.query("SELECT count(*) FROM edits").scalar == "1")
            }
        }
    }

    @Test("a first boot retries an unreachable primary for STANDBY_CLONE_RETRY_SECONDS, then exits 1 with the reason")
    func firstBootPrimaryUnreachable() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            let nobody = try FreePort.find()
            try await StandbyProcess.withStandby(primary: primary, environment: ["PRIMARY_PORT": String(nobody), "STANDBY_CLONE_RETRY_SECONDS": "2"]) { standby in
                let started = ContinuousClock.now
                let result = try await standby.command(["run"])
                #expect(result.status == 1)
                #expect(ContinuousClock.now - started < .seconds(20))
                #expect(result.stderr.contains("did not answer for 2 s (STANDBY_CLONE_RETRY_SECONDS)"))
                #expect(result.stderr.contains("fix: check PRIMARY_HOST and PRIMARY_PORT"))
                #expect(result.stdout.contains("retrying"))
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory))
            }
        }
    }

    @Test("a later boot with the primary down never reconfigures a primary's data directory it did not make")
    func foreignPrimaryUntouched() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await PostgresCluster.withCluster { other in
                await other.stop()
                let autoConf = other.dataDirectory + "/postgresql.auto.conf"
                let before = try String(contentsOfFile: autoConf, encoding: .utf8)
                let nobody = try FreePort.find()
                try await StandbyProcess.withStandby(primary: primary, environment: ["PRIMARY_PORT": String(nobody)]) { standby in
                    let result = try await standby.command(["run"], environment: ["PGDATA": other.dataDirectory])
                    #expect(result.status == 1)
                    #expect(result.stderr.contains("holds a primary's data directory that standby-entrypoint never configured"), "\(result.stderr)")
                    #expect(try String(contentsOfFile: autoConf, encoding: .utf8) == before)
                    #expect(!FileManager.default.fileExists(atPath: other.dataDirectory + "/" + StandbyFiles.legacyPassfileName))
                    #expect(!FileManager.default.fileExists(atPath: DataDirectory(path: other.dataDirectory).passfilePath))
                }
            }
        }
    }

    @Test("PGDATA as a mounted volume: the clone is built inside it and moved up", .enabled(if: SystemAccount.isRoot, "mounting a tmpfs needs root"))
    func mountedVolume() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await primary.execute("CREATE TABLE edits (id int); INSERT INTO edits VALUES (1)")
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try FileManager.default.createDirectory(atPath: standby.dataDirectory, withIntermediateDirectories: true)
                let mount = try await runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=256m", "tmpfs", standby.dataDirectory])
                try #require(mount == 0, "mount failed")
                do {
                    try standby.start()
                    try await standby.waitUntilHealthy()
                    #expect(try await standby.query("SELECT count(*) FROM edits").scalar == "1")
                    #expect(standby.log.contains("PGDATA is a mount point: building the clone inside it"))
                    let entries = try FileManager.default.contentsOfDirectory(atPath: standby.dataDirectory)
                    #expect(!entries.contains { $0.hasPrefix(".laterbase-clone") })
                    #expect(entries.contains("standby.signal"))
                    // A mounted PGDATA is itself what is locked: the volume is what two containers share.
                    let second = try await standby.command(["run"])
                    #expect(second.status == 1)
                    #expect(second.stderr.contains("(\(standby.dataDirectory) is locked)"), "\(second.stderr)")
                } catch {
                    await standby.stop()
                    _ = try? await runTool("/bin/umount", [standby.dataDirectory])
                    throw error
                }
                await standby.stop()
                _ = try await runTool("/bin/umount", [standby.dataDirectory])
            }
        }
    }

    @Test("harness: a standby whose port another process took before postgres bound it starts again on a new port")
    func portTakenHarness() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                let taken = standby.port
                // When the bind fails, another process (an outgoing connection of a parallel test,
                // which draws from the same ephemeral range) holds the port already: taken all the same.
                let squatter = try? BlackholeListener(port: taken)
                defer { squatter?.close() }
                try standby.start()
                try await standby.waitUntilHealthy()
                #expect(standby.port != taken)
                #expect(standby.log.contains("could not bind"))
            }
        }
    }

    /// Runs a system tool and returns its exit status.
    func runTool(_ path: String, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
