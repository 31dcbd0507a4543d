import Foundation
import LaterbaseCore

/// Gathers ``PrimaryFacts`` from the primary: one SQL connection for settings, role and slot,
/// one replication connection for IDENTIFY_SYSTEM. Never throws: failures become facts.
public enum PrimaryProbe {
    /// Connects with `timeoutSeconds` per connection attempt and collects what it can.
    public static func gather(primary: PrimarySettings, slotName: String, timeoutSeconds: Int = 10) async -> PrimaryFacts {
        var facts = PrimaryFacts()
        let sql = primary.connection(timeoutSeconds: timeoutSeconds)
        do {
            let rows = try await PostgresConnection.withConnection(sql) { connection in
                try queryRows(connection, slotName: slotName)
            }
            apply(rows, to: &facts)
        } catch let error as PostgresError {
            facts.connectionError = error
        } catch {
            facts.connectionError = PostgresError(kind: .connection, sqlState: nil, message: "\(error)", target: sql.description)
        }
        // An unreachable server will not answer the second connection either: do not wait twice.
        if facts.connectionError?.kind == .unreachable { return facts }
        do {
            facts.identity = try await identify(primary: primary, timeoutSeconds: timeoutSeconds)
        } catch let error as PostgresError {
            facts.replicationError = error
        } catch {
            facts.replicationError = PostgresError(kind: .connection, sqlState: nil, message: "\(error)", target: sql.description)
        }
        return facts
    }

    /// IDENTIFY_SYSTEM on a replication connection.
    public static func identify(primary: PrimarySettings, timeoutSeconds: Int = 10) async throws -> SystemIdentity {
        try await PostgresConnection.withConnection(primary.connection(replication: true, timeoutSeconds: timeoutSeconds)) {
            try $0.identifySystem()
        }
    }

    /// The raw results the facts come from.
    public struct Rows: Sendable {
        public var settings: QueryResult
        public var details: QueryResult?
        public var slot: QueryResult?
        public var passwordStorage: QueryResult?
    }

    static func queryRows(_ connection: PostgresConnection, slotName: String) throws -> Rows {
        let settings = try connection.query("""
            SELECT current_setting('server_version_num') AS version_num, current_setting('server_version') AS version,
                   current_setting('wal_level') AS wal_level, current_setting('max_wal_senders') AS max_wal_senders,
                   current_setting('max_replication_slots') AS max_replication_slots,
                   current_setting('max_connections') AS max_connections,
                   current_setting('max_worker_processes') AS max_worker_processes,
                   current_setting('max_prepared_transactions') AS max_prepared_transactions,
                   current_setting('max_locks_per_transaction') AS max_locks_per_transaction
            """)
        guard let number = settings.value(0, "version_num").flatMap({ Int($0) }), number >= 100_000 else {
            return Rows(settings: settings)
        }
        let details = try connection.query("""
            SELECT r.rolsuper AS rolsuper, r.rolreplication AS rolreplication,
                   pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS read_stats,
                   \(number >= 120_000 ? "has_function_privilege('pg_promote(boolean,integer)', 'EXECUTE')" : "NULL::boolean") AS can_promote,
                   (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender') AS walsenders,
                   (SELECT count(*) FROM pg_replication_slots) AS slots
            FROM pg_roles r WHERE r.rolname = current_user
            """)
        // pg_authid is readable by superusers only; the query is not even planned otherwise.
        let md5 = details.value(0, "rolsuper") == "t"
            ? try connection.query("SELECT rolpassword LIKE 'md5%' AS md5 FROM pg_authid WHERE rolname = current_user")
            : nil
        let slot = try connection.query("""
            SELECT s.slot_type, s.active, s.active_pid,
                   (SELECT host(client_addr) FROM pg_stat_replication p WHERE p.pid = s.active_pid) AS client,
                   pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
                                   s.restart_lsn)::bigint AS retained,
                   \(number >= 130_000 ? "s.wal_status" : "NULL::text") AS wal_status
            FROM pg_replication_slots s WHERE s.slot_name = $1
            """, [slotName])
        return Rows(settings: settings, details: details, slot: slot, passwordStorage: md5)
    }

    /// Turns the raw rows into facts. Pure.
    public static func apply(_ rows: Rows, to facts: inout PrimaryFacts) {
        let settings = rows.settings
        facts.serverVersionNumber = settings.value(0, "version_num").flatMap { Int($0) }
        facts.serverVersion = settings.value(0, "version")
        facts.walLevel = settings.value(0, "wal_level")
        facts.maxWalSenders = settings.value(0, "max_wal_senders").flatMap { Int($0) }
        facts.maxReplicationSlots = settings.value(0, "max_replication_slots").flatMap { Int($0) }
        facts.hotStandbyParameters = ["max_connections", "max_worker_processes", "max_wal_senders",
                                      "max_prepared_transactions", "max_locks_per_transaction"]
            .compactMap { name in settings.value(0, name).map { (name, $0) } }
        if let details = rows.details {
            facts.isSuperuser = details.value(0, "rolsuper").map { $0 == "t" }
            facts.canReplicate = details.value(0, "rolreplication").map { $0 == "t" }
            facts.canReadStats = details.value(0, "read_stats").map { $0 == "t" }
            facts.canPromote = details.value(0, "can_promote").map { $0 == "t" }
            facts.walSendersInUse = details.value(0, "walsenders").flatMap { Int($0) }
            facts.slotsInUse = details.value(0, "slots").flatMap { Int($0) }
            facts.passwordIsMD5 = rows.passwordStorage?.value(0, "md5").map { $0 == "t" }
        }
        if let slot = rows.slot {
            facts.slotLooked = true
            if let type = slot.value(0, "slot_type") {
                facts.slot = SlotFacts(type: type, active: slot.value(0, "active") == "t",
                                       activePID: slot.value(0, "active_pid").flatMap { Int($0) },
                                       activeClient: slot.value(0, "client"),
                                       retainedBytes: slot.value(0, "retained").flatMap { Int64($0) },
                                       walStatus: slot.value(0, "wal_status"))
            }
        }
    }
}
