import Foundation
import LaterbaseCore

/// Whether the standby is healthy, with the one line `healthcheck` prints. Pure.
public struct HealthVerdict: Sendable, Equatable {
    public let healthy: Bool
    public let line: String

    public init(healthy: Bool, line: String) {
        self.healthy = healthy
        self.line = line
    }

    /// Healthy only while in recovery, replay not paused, the WAL receiver streaming and the lag under `maxLagSeconds`.
    public static func judge(_ state: ReplicationState, maxLagSeconds: Int, primary: String) -> HealthVerdict {
        guard state.inRecovery else {
            return HealthVerdict(healthy: false, line: "unhealthy: not in recovery; this server was promoted and is a primary now")
        }
        if state.replayPaused {
            return HealthVerdict(healthy: false, line: "unhealthy: WAL replay is paused; resume it with SELECT pg_wal_replay_resume();")
        }
        if state.receiverHidden {
            return HealthVerdict(healthy: false, line: "unhealthy: the WAL receiver runs but PRIMARY_USER may not see its state; "
                + "on the Resolve server: GRANT pg_read_all_stats TO that role (standby-entrypoint check-primary prints the line)")
        }
        guard state.receiverStatus == "streaming" else {
            let status = state.receiverStatus.map { "is \($0)" } ?? "is not running"
            return HealthVerdict(healthy: false, line: "unhealthy: the WAL receiver \(status): no stream from the primary \(primary)")
        }
        // A live primary sends keepalives even when idle (every wal_sender_timeout / 2): no
        // message for longer than the allowed lag means the stream is dead, whatever the LSNs say.
        if let silent = state.lastContactAgeSeconds, silent > Double(maxLagSeconds) {
            return HealthVerdict(healthy: false, line: "unhealthy: no message from the primary \(primary) for \(Int(silent)) s, over HEALTH_MAX_LAG_SECONDS=\(maxLagSeconds)")
        }
        let lag = state.lagSeconds
        let lagText = "lag \(state.lagBytes ?? 0) bytes, \(Int(lag.rounded())) s"
        if lag > Double(maxLagSeconds) {
            return HealthVerdict(healthy: false, line: "unhealthy: replay \(lagText), over HEALTH_MAX_LAG_SECONDS=\(maxLagSeconds)")
        }
        return HealthVerdict(healthy: true, line: "healthy: streaming from \(primary), \(lagText)")
    }
}
