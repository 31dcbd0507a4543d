import Foundation
import LaterbaseTestSupport
import Testing
@testable import Shared

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
            }
        }
    }
}

extension StandbyProcess {
    /// The default test environment plus access subnets, as in the images.
    static let subnets = ["STANDBY_ACCESS_SUBNETS": "10.0.0.0/24"]
}
