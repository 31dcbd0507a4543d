import Foundation
@testable import LaterbaseCore
@testable import Standby
import Testing

@Suite("Preflight of the primary (pure)")
struct PreflightTests {
    let primary = PrimarySettings(host: "resolve.local", port: 5432, user: "postgres", password: Secret("x"))

    func preflight(createSlot: Bool = true, local: Int = 13) -> Preflight {
        Preflight(primary: primary, slotName: "laterbase_standby_slot", createSlot: createSlot,
                  localVersion: PostgresMajorVersion(code: local), localBinary: "/usr/lib/postgresql/13/bin/postgres")
    }

    /// A primary that passes everything.
    func healthyFacts() -> PrimaryFacts {
        var facts = PrimaryFacts()
        facts.serverVersionNumber = 130012
        facts.serverVersion = "13.12"
        facts.walLevel = "replica"
        facts.maxWalSenders = 10
        facts.walSendersInUse = 0
        facts.isSuperuser = true
        facts.canReplicate = true
        facts.maxReplicationSlots = 10
        facts.slotsInUse = 0
        facts.slotLooked = true
        facts.passwordIsMD5 = false
        facts.identity = SystemIdentity(systemID: "7", timeline: 1, walPosition: "0/1")
        return facts
    }

    func check(_ name: String, _ facts: PrimaryFacts, _ preflight: Preflight? = nil) -> PreflightCheck {
        (preflight ?? self.preflight()).evaluate(facts).first { $0.name == name }!
    }

    @Test("a healthy primary passes every check")
    func allPass() {
        let checks = preflight().evaluate(healthyFacts())
        #expect(checks.map(\.name) == ["connect", "version", "role", "wal_level", "wal_senders", "replication", "slot", "password"])
        #expect(checks.allSatisfy { $0.outcome == .pass })
    }

    @Test("version mismatch names both sides")
    func versionMismatch() {
        let result = check("version", healthyFacts(), preflight(local: 15))
        #expect(result.outcome == .fail)
        #expect(result.detail.contains("PostgreSQL 13") && result.detail.contains("is PostgreSQL 15"))
    }

    @Test("a role without REPLICATION gets the ALTER ROLE")
    func role() {
        var facts = healthyFacts()
        facts.isSuperuser = false
        facts.canReplicate = false
        #expect(check("role", facts).line == #"FAIL role: postgres may not replicate; fix: as a superuser on the Resolve server: ALTER ROLE "postgres" WITH REPLICATION;"#)
        facts.canReplicate = true
        #expect(check("role", facts).outcome == .pass)
    }

    @Test("wal_level minimal fails; replica, logical and 9.5's hot_standby pass", arguments: [
        ("minimal", false), ("replica", true), ("logical", true), ("hot_standby", true),
    ])
    func walLevel(level: String, passes: Bool) {
        var facts = healthyFacts()
        facts.walLevel = level
        let result = check("wal_level", facts)
        #expect((result.outcome == .pass) == passes)
        if !passes { #expect(result.fix?.contains("ALTER SYSTEM SET wal_level = replica;") == true) }
    }

    @Test("WAL senders: a clone needs two free")
    func senders() {
        var facts = healthyFacts()
        facts.maxWalSenders = 3
        facts.walSendersInUse = 2
        let result = check("wal_senders", facts)
        #expect(result.outcome == .fail)
        #expect(result.fix?.contains("max_wal_senders = 6") == true)
        var streaming = preflight()
        streaming.sendersNeeded = 1
        #expect(check("wal_senders", facts, streaming).outcome == .pass)
    }

    @Test("slot: missing with CREATE_SLOT=false, logical, active, lost; missing with CREATE_SLOT=true passes")
    func slot() {
        var facts = healthyFacts()
        #expect(check("slot", facts, preflight(createSlot: false)).fix?.contains("SELECT pg_create_physical_replication_slot('laterbase_standby_slot');") == true)
        #expect(check("slot", facts).outcome == .pass)
        facts.maxReplicationSlots = 2
        facts.slotsInUse = 2
        #expect(check("slot", facts).outcome == .fail)
        facts.slot = SlotFacts(type: "logical", active: false)
        #expect(check("slot", facts).detail.contains("logical slot"))
        facts.slot = SlotFacts(type: "physical", active: true, activePID: 42, activeClient: "10.0.0.9")
        #expect(check("slot", facts).detail == "slot laterbase_standby_slot is in use (pid 42 from 10.0.0.9)")
        var mine = preflight()
        mine.slotInUseByThisStandby = true
        #expect(check("slot", facts, mine).outcome == .pass)
        facts.slot = SlotFacts(type: "physical", active: false, walStatus: "lost")
        #expect(check("slot", facts).outcome == .fail)
        facts.slot = SlotFacts(type: "physical", active: false, walStatus: "reserved")
        #expect(check("slot", facts).outcome == .pass)
    }

    @Test("connection failures: unreachable, wrong password, missing pg_hba line with the client's address")
    func connection() {
        var facts = PrimaryFacts()
        facts.connectionError = PostgresError(kind: .unreachable, sqlState: "08001", message: "Connection refused", target: "t")
        let checks = preflight().evaluate(facts)
        #expect(checks[0].outcome == .fail && checks[0].fix?.contains("PRIMARY_HOST") == true)
        #expect(checks.dropFirst().allSatisfy { $0.outcome == .skip })

        facts.connectionError = PostgresError(kind: .authentication, sqlState: "28P01", message: "password authentication failed for user \"postgres\"", target: "t")
        #expect(preflight().evaluate(facts)[0].fix?.hasPrefix("set REPL_PASSWORD") == true)

        facts.connectionError = PostgresError(kind: .authentication, sqlState: "28000",
                                              message: #"FATAL: no pg_hba.conf entry for host "172.18.0.3", user "postgres", database "postgres", no encryption"#, target: "t")
        let fix = preflight().evaluate(facts)[0].fix ?? ""
        #expect(fix.contains(#""host replication postgres 172.18.0.3/32 scram-sha-256""#))
        #expect(fix.contains("/Library/PostgreSQL/13/data/pg_hba.conf on macOS"))
        #expect(fix.contains(#"C:\Program Files\PostgreSQL\13\data\pg_hba.conf on Windows"#))
        #expect(fix.contains("SELECT pg_reload_conf();"))
    }

    @Test("a refused replication connection gets the pg_hba replication line")
    func replicationRefused() {
        var facts = healthyFacts()
        facts.identity = nil
        facts.replicationError = PostgresError(kind: .authentication, sqlState: "28000",
                                               message: #"no pg_hba.conf entry for replication connection from host "10.1.2.3", user "postgres""#, target: "t")
        let result = check("replication", facts)
        #expect(result.outcome == .fail)
        #expect(result.fix?.contains("host replication postgres 10.1.2.3/32 scram-sha-256") == true)
    }

    @Test("an MD5 password is flagged with the fix")
    func md5() {
        var facts = healthyFacts()
        facts.passwordIsMD5 = true
        #expect(check("password", facts).fix?.contains("password_encryption = 'scram-sha-256'") == true)
    }
}
