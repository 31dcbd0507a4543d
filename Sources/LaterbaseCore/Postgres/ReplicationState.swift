import Foundation

/// The standby's own view of replication, from one query (`ReplicationState.query`). The
/// parsing is pure and unit-tested with literal rows.
public struct ReplicationState: Sendable, Equatable {
    public var inRecovery: Bool
    public var replayPaused: Bool
    /// `pg_stat_wal_receiver.status` (`streaming`, `catchup`, `stopping`, …); nil when no WAL receiver runs.
    public var receiverStatus: String?
    /// The WAL receiver runs but its details are hidden from this login (not a superuser and
    /// not a member of pg_read_all_stats).
    public var receiverHidden = false
    public var senderHost: String?
    public var senderPort: Int?
    public var slotName: String?
    public var receivedLSN: String?
    public var replayedLSN: String?
    /// Received but not yet replayed WAL.
    public var lagBytes: Int64?
    /// Seconds since the last replayed transaction committed on the primary.
    public var replayAgeSeconds: Double?
    /// When the WAL receiver last heard from the primary (text timestamp).
    public var lastContact: String?
    public var lastContactAgeSeconds: Double?
    public var timeline: Int?

    public static let query = """
        SELECT pg_is_in_recovery() AS in_recovery,
               CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
               r.pid AS receiver_pid, r.status, r.sender_host, r.sender_port, r.slot_name,
               pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed,
               pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint AS lag_bytes,
               extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age,
               r.last_msg_receipt_time::text AS last_contact,
               extract(epoch FROM now() - r.last_msg_receipt_time)::float8 AS contact_age,
               (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline
        FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver r ON true
        """

    public init(inRecovery: Bool, replayPaused: Bool = false, receiverStatus: String? = nil, senderHost: String? = nil,
                senderPort: Int? = nil, slotName: String? = nil, receivedLSN: String? = nil, replayedLSN: String? = nil,
                lagBytes: Int64? = nil, replayAgeSeconds: Double? = nil, lastContact: String? = nil,
                lastContactAgeSeconds: Double? = nil, timeline: Int? = nil) {
        self.inRecovery = inRecovery
        self.replayPaused = replayPaused
        self.receiverStatus = receiverStatus
        self.senderHost = senderHost
        self.senderPort = senderPort
        self.slotName = slotName
        self.receivedLSN = receivedLSN
        self.replayedLSN = replayedLSN
        self.lagBytes = lagBytes
        self.replayAgeSeconds = replayAgeSeconds
        self.lastContact = lastContact
        self.lastContactAgeSeconds = lastContactAgeSeconds
        self.timeline = timeline
    }

    /// From the row of ``query``. Pure.
    public init(_ result: QueryResult) {
        self.init(inRecovery: result.value(0, "in_recovery") == "t",
                  replayPaused: result.value(0, "paused") == "t",
                  receiverStatus: result.value(0, "status"),
                  senderHost: result.value(0, "sender_host"),
                  senderPort: result.value(0, "sender_port").flatMap { Int($0) },
                  slotName: result.value(0, "slot_name"),
                  receivedLSN: result.value(0, "received"),
                  replayedLSN: result.value(0, "replayed"),
                  lagBytes: result.value(0, "lag_bytes").flatMap { Int64($0) },
                  replayAgeSeconds: result.value(0, "replay_age").flatMap { Double($0) },
                  lastContact: result.value(0, "last_contact"),
                  lastContactAgeSeconds: result.value(0, "contact_age").flatMap { Double($0) },
                  timeline: result.value(0, "timeline").flatMap { Int($0) })
        receiverHidden = result.value(0, "receiver_pid") != nil && result.value(0, "status") == nil
    }

    /// Replay lag in seconds. Zero when everything received has been replayed, however long
    /// ago the last transaction was: an idle primary is not lag. Otherwise the age of the last
    /// replayed transaction (0 when none was replayed since the server started).
    public var lagSeconds: Double {
        guard let bytes = lagBytes, bytes > 0 else { return 0 }
        return max(0, replayAgeSeconds ?? 0)
    }
}
