import Foundation
import LaterbaseCore
import UndoWindow

/// What the primary says about its standbys and slots (`pg_stat_replication`,
/// `pg_replication_slots`): read from the Resolve server itself, so it is true even when the
/// standby is down. Lag in bytes is replay behind the primary's current WAL position; lag in
/// seconds is PostgreSQL's `replay_lag`, which is empty on an idle primary (no lag, not unknown).
/// pg_receivewal replays nothing: for it both are its flush position and `flush_lag`.
/// The console's overview and `/metrics` show it; the agent's watch tells a standby that stopped
/// streaming or lags, and a slot that holds too much WAL (``AgentWatch``).
public struct ReplicationStatus: Sendable {
    public struct Sender: Sendable {
        public let application: String
        public let client: String
        public let state: String
        public let replayLagBytes: Int64?
        public let replayLagSeconds: Double
        /// `async`, `sync`, `potential`, `quorum`.
        public let syncState: String

        /// The undo window's own WAL receiver, not a standby.
        public var isWalArchive: Bool { application == WalReceiver.applicationName }

        /// What the connection is, in the words of the overview.
        public var role: String { isWalArchive ? "WAL archive (undo window)" : "standby (\(syncState))" }
    }
    public struct Slot: Sendable {
        public let name: String
        public let active: Bool
        /// `reserved`, `extended`, `unreserved`, `lost` (empty before PostgreSQL 13).
        public let walStatus: String
        /// WAL the primary keeps for this slot (its restart LSN to the current one).
        public let retainedBytes: Int64?
        /// What may still be written before the slot is lost; nil without `max_slot_wal_keep_size`.
        public let safeWalSize: Int64?
    }

    public let senders: [Sender]
    public let slots: [Slot]

    static let sendersQuery = """
        SELECT application_name, COALESCE(client_addr::text, 'local'), state,
               pg_wal_lsn_diff(pg_current_wal_lsn(), COALESCE(replay_lsn, flush_lsn))::bigint,
               COALESCE(EXTRACT(EPOCH FROM COALESCE(replay_lag, flush_lag)), 0)::float8, sync_state
        FROM pg_stat_replication ORDER BY application_name
        """
    static let slotsQuery = """
        SELECT slot_name, active, COALESCE(wal_status, ''),
               pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, safe_wal_size
        FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY slot_name
        """

    /// Asks the primary; bounded by a 5 s connect timeout and the session's statement timeout.
    /// - Throws: one line naming the primary when it did not answer.
    public static func read(_ primary: PrimarySettings) async throws(ReplicationStatusError) -> ReplicationStatus {
        do {
            return try await PostgresConnection.withConnection(primary.connection(timeoutSeconds: 5)) { connection in
                let senders = try connection.query(sendersQuery).rows.map { row in
                    Sender(application: row[0] ?? "", client: row[1] ?? "", state: row[2] ?? "",
                           replayLagBytes: row[3].flatMap { Int64($0) }, replayLagSeconds: row[4].flatMap { Double($0) } ?? 0, syncState: row[5] ?? "")
                }
                let slots = try connection.query(slotsQuery).rows.map { row in
                    Slot(name: row[0] ?? "", active: row[1] == "t", walStatus: row[2] ?? "",
                         retainedBytes: row[3].flatMap { Int64($0) }, safeWalSize: row[4].flatMap { Int64($0) })
                }
                return ReplicationStatus(senders: senders, slots: slots)
            }
        } catch {
            throw ReplicationStatusError(description: "the primary \(primary.host):\(primary.port) did not answer: \(oneLine(error))")
        }
    }
}

/// The primary did not answer ``ReplicationStatus/read(_:)``: one line.
public struct ReplicationStatusError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
