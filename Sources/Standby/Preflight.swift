import Foundation
import LaterbaseCore

/// Judges ``PrimaryFacts`` against what a standby needs. Pure: every check is a plain
/// function of the facts, unit-tested with literal values.
public struct Preflight: Sendable {
    public var primary: PrimarySettings
    public var slotName: String
    public var createSlot: Bool
    /// The local `postgres` binary's major version and path (nil when it was not found).
    public var localVersion: PostgresMajorVersion?
    public var localBinary: String
    /// Free WAL senders needed: 2 for a clone (`pg_basebackup -X stream`), 1 to stream.
    public var sendersNeeded: Int
    /// True when this standby is running and streaming through the slot, so an active slot is ours.
    public var slotInUseByThisStandby = false

    public init(primary: PrimarySettings, slotName: String, createSlot: Bool,
                localVersion: PostgresMajorVersion?, localBinary: String, sendersNeeded: Int = 2) {
        self.primary = primary
        self.slotName = slotName
        self.createSlot = createSlot
        self.localVersion = localVersion
        self.localBinary = localBinary
        self.sendersNeeded = sendersNeeded
    }

    /// Every check in a fixed order: connect, version, role, wal_level, wal_senders, replication,
    /// slot, password. `password` is advisory: a clone works without it, but logins to the
    /// standby (scram-sha-256) fail for a password stored as MD5.
    public func evaluate(_ facts: PrimaryFacts) -> [PreflightCheck] {
        let user = primary.user
        let target = "\(user)@\(primary.host):\(primary.port)"
        if let error = facts.connectionError {
            let skipped = ["version", "role", "wal_level", "wal_senders", "replication", "slot", "password"]
                .map { PreflightCheck($0, .skip, "not checked: no connection") }
            return [PreflightCheck("connect", .fail, "\(target): \(error.message)", fix: connectionFix(error))] + skipped
        }
        var checks = [PreflightCheck("connect", .pass, "\(target) answers (PostgreSQL \(facts.serverVersion ?? "?"))")]
        checks.append(versionCheck(facts))
        checks.append(roleCheck(facts))
        checks.append(walLevelCheck(facts))
        checks.append(sendersCheck(facts))
        checks.append(replicationCheck(facts))
        checks.append(slotCheck(facts))
        checks.append(passwordCheck(facts))
        return checks
    }

    /// The fix for a failed connection, from its kind and SQLSTATE.
    public func connectionFix(_ error: PostgresError) -> String {
        switch (error.kind, error.sqlState) {
        case (.unreachable, _):
            return "check PRIMARY_HOST and PRIMARY_PORT; on the Resolve server PostgreSQL must listen on this network "
                + "(listen_addresses = '*' in postgresql.conf beside pg_hba.conf, then restart it) and the firewall must allow TCP \(primary.port)"
        case (.authentication, "28P01"):
            return "set REPL_PASSWORD (or REPL_PASSWORD_FILE) to the password of \(primary.user) on the Resolve server, "
                + "or set it there: ALTER ROLE \(SQLQuoting.identifier(primary.user)) WITH PASSWORD '…';"
        case (.authentication, _):
            if error.message.contains("does not exist") {
                return "create the role on the Resolve server: CREATE ROLE \(SQLQuoting.identifier(primary.user)) WITH LOGIN REPLICATION PASSWORD '…'; or set PRIMARY_USER"
            }
            return ResolveServerHints.hbaFix(user: primary.user, address: ResolveServerHints.clientAddress(inHbaMessage: error.message))
        default:
            return "check PRIMARY_HOST, PRIMARY_PORT, PRIMARY_USER and PRIMARY_SSLMODE"
        }
    }

    func versionCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        guard let number = facts.serverVersionNumber, let remote = PostgresMajorVersion(serverVersionNumber: number) else {
            return PreflightCheck("version", .fail, "the server did not report its version", fix: "check that PRIMARY_HOST is a PostgreSQL server")
        }
        guard let local = localVersion else {
            return PreflightCheck("version", .fail, "no local postgres binary to compare with PostgreSQL \(remote)",
                                  fix: "install the PostgreSQL \(remote) server package or set PG_BINDIR")
        }
        if let problem = VersionCompatibility.problem(primary: remote, local: local, localBinary: localBinary) {
            return PreflightCheck("version", .fail, problem)
        }
        return PreflightCheck("version", .pass, "PostgreSQL \(remote) on both sides")
    }

    func roleCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        let role = SQLQuoting.identifier(primary.user)
        switch (facts.isSuperuser, facts.canReplicate) {
        case (true, _): return PreflightCheck("role", .pass, "\(primary.user) is a superuser")
        case (_, true):
            // The grants replicate to the standby, where healthcheck reads the WAL receiver
            // (hidden from non-members of pg_read_all_stats) and promote calls pg_promote.
            var grants: [String] = []
            if facts.canReadStats == false { grants.append("GRANT pg_read_all_stats TO \(role);") }
            if facts.canPromote == false { grants.append("GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO \(role);") }
            guard grants.isEmpty else {
                return PreflightCheck("role", .fail, "\(primary.user) has REPLICATION but could not check the standby's health or promote it",
                                      fix: "as a superuser on the Resolve server: " + grants.joined(separator: " "))
            }
            return PreflightCheck("role", .pass, "\(primary.user) has REPLICATION")
        case (nil, _), (_, nil): return PreflightCheck("role", .fail, "could not read the attributes of \(primary.user)", fix: "ALTER ROLE \(role) WITH REPLICATION;")
        default: return PreflightCheck("role", .fail, "\(primary.user) may not replicate", fix: "as a superuser on the Resolve server: ALTER ROLE \(role) WITH REPLICATION;")
        }
    }

    func walLevelCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        let level = facts.walLevel ?? "unknown"
        // 9.5 spells replica as archive/hot_standby; all of them allow a physical standby.
        if ["replica", "logical", "hot_standby", "archive"].contains(level) {
            return PreflightCheck("wal_level", .pass, "wal_level is \(level)")
        }
        return PreflightCheck("wal_level", .fail, "wal_level is \(level); a standby needs replica",
                              fix: "on the Resolve server: ALTER SYSTEM SET wal_level = replica; then restart its PostgreSQL service")
    }

    func sendersCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        guard let maximum = facts.maxWalSenders else {
            return PreflightCheck("wal_senders", .fail, "max_wal_senders unknown", fix: "ALTER SYSTEM SET max_wal_senders = 10; then restart the Resolve server's PostgreSQL")
        }
        let used = facts.walSendersInUse ?? 0
        let free = maximum - used
        if free >= sendersNeeded {
            return PreflightCheck("wal_senders", .pass, "\(free) of max_wal_senders=\(maximum) free")
        }
        return PreflightCheck("wal_senders", .fail, "\(max(free, 0)) of max_wal_senders=\(maximum) free, \(sendersNeeded) needed",
                              fix: "on the Resolve server: ALTER SYSTEM SET max_wal_senders = \(used + sendersNeeded + 2); then restart its PostgreSQL service")
    }

    func replicationCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        if let identity = facts.identity {
            return PreflightCheck("replication", .pass, "replication connection accepted (system \(identity.systemID), timeline \(identity.timeline))")
        }
        guard let error = facts.replicationError else {
            return PreflightCheck("replication", .skip, "not checked")
        }
        let fix: String
        if error.kind == .authentication || error.message.contains("pg_hba.conf") {
            fix = ResolveServerHints.hbaFix(user: primary.user, address: ResolveServerHints.clientAddress(inHbaMessage: error.message))
        } else if error.message.contains("REPLICATION") || error.message.contains("replication") && error.message.contains("permission") {
            fix = "ALTER ROLE \(SQLQuoting.identifier(primary.user)) WITH REPLICATION;"
        } else {
            fix = connectionFix(error)
        }
        return PreflightCheck("replication", .fail, "replication connection refused: \(error.message)", fix: fix)
    }

    func slotCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        let quoted = SQLQuoting.literal(slotName)
        guard facts.slotLooked else {
            return PreflightCheck("slot", .fail, "could not read pg_replication_slots", fix: "check that \(primary.user) may read pg_replication_slots")
        }
        guard let slot = facts.slot else {
            if !createSlot {
                return PreflightCheck("slot", .fail, "slot \(slotName) does not exist and CREATE_SLOT=false",
                                      fix: "on the Resolve server: \(ResolveServerHints.createSlotSQL(slotName)) or set CREATE_SLOT=true")
            }
            if let maximum = facts.maxReplicationSlots, let used = facts.slotsInUse, used >= maximum {
                return PreflightCheck("slot", .fail, "slot \(slotName) does not exist and all max_replication_slots=\(maximum) are taken",
                                      fix: "on the Resolve server: ALTER SYSTEM SET max_replication_slots = \(maximum + 2); then restart its PostgreSQL service (or drop an unused slot)")
            }
            return PreflightCheck("slot", .pass, "slot \(slotName) does not exist yet; it will be created (CREATE_SLOT=true)")
        }
        guard slot.type == "physical" else {
            return PreflightCheck("slot", .fail, "slot \(slotName) is a \(slot.type) slot, not physical",
                                  fix: "choose another REPLICATION_SLOT, or on the Resolve server: SELECT pg_drop_replication_slot(\(quoted));")
        }
        if slot.walStatus == "lost" {
            return PreflightCheck("slot", .fail, "slot \(slotName) has lost WAL it needed (wal_status=lost)",
                                  fix: "on the Resolve server: \(ResolveServerHints.dropSlotSQL(slotName)) then start again (set STANDBY_RECLONE=auto to clone anew)")
        }
        if slot.active && slotInUseByThisStandby {
            return PreflightCheck("slot", .pass, "physical slot \(slotName) is in use by this standby")
        }
        if slot.active {
            let holder = [slot.activePID.map { "pid \($0)" }, slot.activeClient.map { "from \($0)" }].compactMap { $0 }.joined(separator: " ")
            return PreflightCheck("slot", .fail, "slot \(slotName) is in use\(holder.isEmpty ? "" : " (\(holder))")",
                                  fix: "each standby needs its own slot: set REPLICATION_SLOT to another name, or stop the standby that uses it")
        }
        return PreflightCheck("slot", .pass, "physical slot \(slotName) exists and is idle")
    }

    func passwordCheck(_ facts: PrimaryFacts) -> PreflightCheck {
        switch facts.passwordIsMD5 {
        case false?: return PreflightCheck("password", .pass, "the password of \(primary.user) is stored as SCRAM")
        case nil: return PreflightCheck("password", .skip, "not checked: only a superuser may read how passwords are stored")
        case true?:
            return PreflightCheck("password", .fail, "the password of \(primary.user) is stored as MD5; the standby accepts scram-sha-256 logins only",
                                  fix: "on the Resolve server: SET password_encryption = 'scram-sha-256'; ALTER ROLE \(SQLQuoting.identifier(primary.user)) WITH PASSWORD '…'; (the same password again)")
        }
    }
}
