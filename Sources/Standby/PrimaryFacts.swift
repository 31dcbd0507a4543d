import Foundation
import LaterbaseCore

/// What the standby learned about the primary, as plain values: gathered by ``PrimaryProbe``
/// (I/O), judged by ``Preflight`` (pure). A nil field was not learned.
public struct PrimaryFacts: Sendable {
    /// Why an ordinary (SQL) connection failed; nil when it succeeded.
    public var connectionError: PostgresError?
    public var serverVersionNumber: Int?
    /// `server_version`, e.g. `13.12`.
    public var serverVersion: String?
    public var walLevel: String?
    public var maxWalSenders: Int?
    /// WAL senders running now (other standbys, base backups).
    public var walSendersInUse: Int?
    public var isSuperuser: Bool?
    /// `rolreplication` of the login role.
    public var canReplicate: Bool?
    /// Member of `pg_read_all_stats` (sees `pg_stat_wal_receiver` on the standby). Nil: unknown.
    public var canReadStats: Bool?
    /// May call `pg_promote` (needed by `promote`). Nil: unknown or a server before 12.
    public var canPromote: Bool?
    public var maxReplicationSlots: Int?
    public var slotsInUse: Int?
    /// Whether the slot query ran (so a nil ``slot`` means "no such slot").
    public var slotLooked = false
    public var slot: SlotFacts?
    /// Settings a hot standby must not set lower than its primary (`max_connections`,
    /// `max_worker_processes`, `max_wal_senders`, `max_prepared_transactions`,
    /// `max_locks_per_transaction`), in that order.
    public var hotStandbyParameters: [(String, String)] = []
    /// True when the login role's password is stored as MD5, which the standby's
    /// scram-sha-256 `pg_hba.conf` lines cannot check (nil: unknown, e.g. not a superuser).
    public var passwordIsMD5: Bool?
    /// Why a replication connection (`replication=true`, IDENTIFY_SYSTEM) failed.
    public var replicationError: PostgresError?
    /// The primary's identity from IDENTIFY_SYSTEM.
    public var identity: SystemIdentity?

    public init() {}

    /// True when no connection of either kind could be opened because the server did not answer.
    public var isUnreachable: Bool {
        connectionError?.kind == .unreachable && (replicationError == nil || replicationError?.kind == .unreachable)
    }
}

/// One row of `pg_replication_slots`, as far as the standby cares.
public struct SlotFacts: Sendable, Equatable {
    /// `physical` or `logical`.
    public var type: String
    public var active: Bool
    public var activePID: Int?
    /// Who holds it when active (`client_addr` of the WAL sender), if known.
    public var activeClient: String?
    /// Bytes of WAL the primary keeps for this slot (current position minus `restart_lsn`).
    public var retainedBytes: Int64?
    /// `reserved`, `extended`, `unreserved` or `lost` (PostgreSQL 13+).
    public var walStatus: String?

    public init(type: String, active: Bool, activePID: Int? = nil, activeClient: String? = nil,
                retainedBytes: Int64? = nil, walStatus: String? = nil) {
        self.type = type
        self.active = active
        self.activePID = activePID
        self.activeClient = activeClient
        self.retainedBytes = retainedBytes
        self.walStatus = walStatus
    }
}
