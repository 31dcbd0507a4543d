import Foundation
import LaterbaseCore
import UndoWindow

/// What the primary says about its standbys and slots (`pg_stat_replication`,
/// `pg_replication_slots`): read from the Resolve server itself, so it is true even when the
/// standby is down. Lag in bytes is replay behind the primary's current WAL position; lag in
/// seconds is PostgreSQL's `replay_lag`, which is empty on an idle primary (no lag, not unknown).
/// pg_receivewal replays nothing: for it both are its flush position and `flush_lag`.
struct ReplicationStatus: Sendable {
    struct Sender: Sendable {
        let application: String
        let client: String
        let state: String
        let replayLagBytes: Int64?
        let replayLagSeconds: Double
        /// `async`, `sync`, `potential`, `quorum`.
        let syncState: String

        /// What the connection is, in the words of the overview.
        var role: String {
            application == WalReceiver.applicationName ? "WAL archive (undo window)" : "standby (\(syncState))"
        }
    }
    struct Slot: Sendable {
        let name: String
        let active: Bool
        let walStatus: String
        let retainedBytes: Int64?
        let safeWalSize: Int64?
    }

    let senders: [Sender]
    let slots: [Slot]

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
    static func read(_ primary: PrimarySettings) async -> Result<ReplicationStatus, ConsoleProblem> {
        do {
            return .success(try await PostgresConnection.withConnection(primary.connection(timeoutSeconds: 5)) { connection in
                let senders = try connection.query(sendersQuery).rows.map { row in
                    Sender(application: row[0] ?? "", client: row[1] ?? "", state: row[2] ?? "",
                           replayLagBytes: row[3].flatMap { Int64($0) }, replayLagSeconds: row[4].flatMap { Double($0) } ?? 0, syncState: row[5] ?? "")
                }
                let slots = try connection.query(slotsQuery).rows.map { row in
                    Slot(name: row[0] ?? "", active: row[1] == "t", walStatus: row[2] ?? "",
                         retainedBytes: row[3].flatMap { Int64($0) }, safeWalSize: row[4].flatMap { Int64($0) })
                }
                return ReplicationStatus(senders: senders, slots: slots)
            })
        } catch {
            return .failure(ConsoleProblem("the primary \(primary.host):\(primary.port) did not answer: \(oneLine(error))"))
        }
    }
}

/// A one-line problem shown on a page instead of a value.
struct ConsoleProblem: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
