import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
@testable import Standby
import Testing

/// First boot and later boots against a real primary on loopback.
@Suite("standby-entrypoint run: clone and restart", .timeLimit(.minutes(4)))
struct StandbyCloneTests {
    static let primaryOptions = PostgresCluster.Options(replication: true)

    @Test("first boot clones through the slot, then a row written on the primary appears on the standby")
    func cloneThenStream() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await primary.execute("CREATE TABLE edits (id int PRIMARY KEY, note text); INSERT INTO edits VALUES (1, 'before clone')")
            try await StandbyProcess.withStandby(primary: primary, environment: StandbyProcess.subnets) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                try await primary.query("INSERT INTO edits VALUES (2, 'after clone')")
                try await standby.waitUntil("row 2 on the standby") {
                    (try? await standby.query("SELECT note FROM edits WHERE id = 2").scalar) == "after clone"
                }
                #expect(try await standby.query("SELECT note FROM edits WHERE id = 1").scalar == "before clone")
                #expect(try await standby.query("SELECT pg_is_in_recovery()").scalar == "t")

                // The password is in the 0600 passfile only, never in a configuration file.
                let password = primary.password.reveal()
                let autoConf = try String(contentsOfFile: standby.dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
                #expect(!autoConf.contains(password))
                #expect(autoConf.contains("primary_slot_name = 'laterbase_standby_slot'"))
                let conninfo = try #require(try await standby.query("SHOW primary_conninfo").scalar)
                #expect(!conninfo.contains(password))
                let pairs = try #require(ConnInfo.parse(conninfo))
                let passfile = try #require(pairs.first { $0.0 == "passfile" }?.1)
                let attributes = try FileManager.default.attributesOfItem(atPath: passfile)
                #expect((attributes[.posixPermissions] as? Int) == 0o600)
                if SystemAccount.isRoot { #expect((attributes[.ownerAccountName] as? String) == "postgres") }
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory + ".clone-tmp"))
                let hba = try String(contentsOfFile: standby.dataDirectory + "/pg_hba.conf", encoding: .utf8)
                #expect(hba.contains("host    all          all   10.0.0.0/24             scram-sha-256"))
                #expect(!standby.log.contains(password))

                // status --json reports the stream and the slot the primary keeps for it.
                let status = try await standby.command(["status", "--json"])
                #expect(status.status == 0)
                let report = try JSONDecoder().decode(StandbyStatusReport.self, from: Data(status.stdout.utf8))
                #expect(report.role == "standby")
                #expect(report.receiverStatus == "streaming")
                #expect(report.primaryReachable)
                #expect(report.primarySlot?.exists == true && report.primarySlot?.active == true)
                #expect(report.healthy)
                #expect(standby.log.contains("clone progress"))

                // postgres replaced the entrypoint (same pid), runs as postgres, and has no secret in its environment.
                let pid = try #require(standby.pid)
                let pidFile = try String(contentsOfFile: standby.dataDirectory + "/postmaster.pid", encoding: .utf8)
                #expect(pidFile.split(separator: "\n").first.map(String.init) == String(pid))
                let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
                #expect(!String(decoding: environ, as: UTF8.self).contains("REPL_PASSWORD"))
                if SystemAccount.isRoot {
                    let procStatus = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                    let uid = SystemAccount(named: "postgres")!.uid
                    #expect(procStatus.contains("Uid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)"))
                }
            }
        }
    }

    @Test("a restart keeps the data directory and its rows: no second clone")
    func restartKeepsData() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await primary.execute("CREATE TABLE edits (id int PRIMARY KEY)")
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                try await primary.query("INSERT INTO edits VALUES (7)")
                try await standby.waitUntil("row 7") { (try? await standby.query("SELECT count(*) FROM edits").scalar) == "1" }
                let marker = standby.dataDirectory + "/laterbase-test-marker"
                try Data().write(to: URL(fileURLWithPath: marker))
                await standby.stop()
                try standby.start()
                try await standby.waitUntilHealthy()
                #expect(try await standby.query("SELECT count(*) FROM edits").scalar == "1")
                #expect(FileManager.default.fileExists(atPath: marker))
                #expect(standby.log.components(separatedBy: "first boot").count == 2)
                #expect(standby.log.contains("data directory matches the primary"))
            }
        }
    }

    @Test("a password change needs only a restart with the new REPL_PASSWORD")
    func passwordRotation() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await primary.execute("CREATE TABLE edits (id int PRIMARY KEY)")
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                await standby.stop()
                let newPassword = "Rotated:pw'\"\\ \(UUID().uuidString.prefix(6))"
                try await primary.query("ALTER ROLE postgres PASSWORD \(SQLQuoting.literal(newPassword))")
                standby.environment["REPL_PASSWORD"] = newPassword
                try standby.start()
                try await standby.waitUntilHealthy()
                var rotated = primary.parameters()
                rotated.password = Secret(newPassword)
                try await PostgresConnection.withConnection(rotated) { _ = try $0.query("INSERT INTO edits VALUES (1)") }
                try await standby.waitUntil("row 1 after the rotation") {
                    (try? await standby.query("SELECT count(*) FROM edits").scalar) == "1"
                }
                let passfile = try String(contentsOfFile: DataDirectory(path: standby.dataDirectory).passfilePath, encoding: .utf8)
                #expect(passfile == PassFile.line(host: "127.0.0.1", port: primary.port, user: "postgres", password: Secret(newPassword)) + "\n")
                #expect(!passfile.contains(primary.password.reveal()))
                let autoConf = try String(contentsOfFile: standby.dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
                #expect(!autoConf.contains(newPassword) && !autoConf.contains(primary.password.reveal()))
            }
        }
    }

    @Test("a missing slot is created when CREATE_SLOT is true (the default)")
    func slotAutoCreated() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            let slots = "SELECT slot_type || ' ' || active FROM pg_replication_slots WHERE slot_name = 'edit_bay_standby'"
            #expect(try await primary.query(slots).rows.isEmpty)
            try await StandbyProcess.withStandby(primary: primary, environment: ["REPLICATION_SLOT": "edit_bay_standby"]) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                #expect(try await primary.query(slots).scalar == "physical true")
                #expect(try await standby.query("SELECT slot_name FROM pg_stat_wal_receiver").scalar == "edit_bay_standby")
            }
        }
    }

    @Test("CREATE_SLOT=false without the slot refuses with the SQL that creates it, and leaves nothing")
    func createSlotFalse() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary, environment: ["CREATE_SLOT": "false"]) { standby in
                let result = try await standby.command(["run"])
                #expect(result.status == 1)
                #expect(result.stderr.contains("FAIL slot: slot laterbase_standby_slot does not exist and CREATE_SLOT=false"))
                #expect(result.stderr.contains("SELECT pg_create_physical_replication_slot('laterbase_standby_slot');"))
                #expect(result.stderr.split(separator: "\n").count == 1)
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory))
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory + ".clone-tmp"))
                #expect(try await primary.query("SELECT count(*) FROM pg_replication_slots").scalar == "0")
            }
        }
    }

    @Test("a wrong password fails with a clear line, no secret, and nothing that looks like a standby")
    func wrongPassword() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            let wrong = "Wrong-Secret-\(UUID().uuidString.prefix(8))"
            try await StandbyProcess.withStandby(primary: primary, environment: ["REPL_PASSWORD": wrong]) { standby in
                let result = try await standby.command(["run"])
                #expect(result.status == 1)
                #expect(result.stderr.contains("password authentication failed for user \"postgres\""))
                #expect(result.stderr.contains("fix: set REPL_PASSWORD"))
                #expect(!(result.stdout + result.stderr).contains(wrong))
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory))
                #expect(!FileManager.default.fileExists(atPath: standby.dataDirectory + ".clone-tmp"))
                #expect(try await primary.query("SELECT count(*) FROM pg_replication_slots").scalar == "0")
            }
        }
    }

    @Test("check-primary prints PASS/FAIL per check with the exact fix")
    func checkPrimary() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                let good = try await standby.command(["check-primary"])
                #expect(good.status == 0, "\(good.stdout)")
                #expect(good.stdout.contains("PASS version: PostgreSQL \(try await primary.majorVersion()) on both sides"), "\(good.stdout)")
                #expect(good.stdout.contains("PASS slot: slot laterbase_standby_slot does not exist yet; it will be created"))
                try await primary.execute("CREATE ROLE editor LOGIN PASSWORD 'Editor-pw-1'")
                let bad = try await standby.command(["check-primary"], environment: ["PRIMARY_USER": "editor", "REPL_PASSWORD": "Editor-pw-1"])
                #expect(bad.status == 1)
                #expect(bad.stdout.contains("FAIL role: editor may not replicate; fix: as a superuser on the Resolve server: ALTER ROLE \"editor\" WITH REPLICATION;"))
                #expect(bad.stdout.contains("PASS wal_level"))
                #expect(!bad.stdout.contains("Editor-pw-1"))
            }
        }
    }
}

extension StandbyProcess {
    /// The default test environment plus access subnets, as in the images.
    static let subnets = ["STANDBY_ACCESS_SUBNETS": "10.0.0.0/24"]
}
