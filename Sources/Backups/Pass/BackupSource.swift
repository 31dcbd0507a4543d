import LaterbaseCore
import Logging

/// Which server a pass reads from. `BACKUP_HOST` may name the standby, to spare the Resolve
/// server; a standby that does not answer, lags more than `BACKUP_MAX_STANDBY_LAG` behind, or no
/// longer streams from the primary would give no backup or a stale one, so the pass then reads
/// from the primary and says so in a warning — unless the primary does not answer either: then
/// the standby, as it is, is the best copy left.
public enum BackupSource {
    /// The choice and, when it is not `BACKUP_HOST`, why.
    public struct Choice: Sendable {
        public let source: PrimarySettings
        public let warning: String?
    }

    /// Asks `BACKUP_HOST` for its replication state (one short query) unless it is the primary.
    public static func choose(_ settings: BackupSettings, logger: Logger) async -> Choice {
        let source = settings.source
        let primary = settings.primary
        guard source.host != primary.host || source.port != primary.port else { return Choice(source: source, warning: nil) }
        let standby = "\(source.host):\(source.port)"
        let fallback = "backing up from the primary at \(primary.host):\(primary.port) for this pass"
        let state: ReplicationState
        do {
            state = ReplicationState(try await PostgresConnection.withConnection(source.connection(timeoutSeconds: 5)) {
                try $0.query(ReplicationState.query)
            })
        } catch is CancellationError {
            return Choice(source: source, warning: nil)
        } catch {
            return fallBack("BACKUP_HOST \(standby) does not answer (\(error)); \(fallback)", to: primary, logger: logger)
        }
        guard let reason = staleness(of: state, standby: standby, maxLagSeconds: settings.maxStandbyLagSeconds) else {
            return Choice(source: source, warning: nil)
        }
        // A stale standby is still the best copy there is when the primary is down too (the
        // Resolve server died and nobody promoted the standby yet): keep it, and say so.
        do {
            try await PostgresConnection.withConnection(primary.connection(timeoutSeconds: 5)) { _ = try $0.query("SELECT 1") }
        } catch is CancellationError {
            return Choice(source: source, warning: nil)
        } catch {
            let warning = "\(reason); the primary at \(primary.host):\(primary.port) does not answer either (\(error)): "
                + "backing up the standby as it is for this pass"
            logger.warning("backing up a stale standby", metadata: [LogKey.error: "\(warning)"])
            return Choice(source: source, warning: warning)
        }
        return fallBack("\(reason); \(fallback)", to: primary, logger: logger)
    }

    /// Why a backup read from the standby now would be stale, or nil when it is current. Pure.
    /// Stale: replay lags more than `maxLagSeconds` (an idle primary is not lag), replay is paused
    /// with WAL waiting, or the WAL receiver is not streaming — a standby cut off from the primary
    /// has replayed all it received and shows no lag at all, however old its data (a dead
    /// connection ends the stream after `wal_receiver_timeout`; the time since the last message
    /// is no measure: an idle primary sends one only every `wal_sender_timeout / 2`, or never).
    /// A promoted standby (not in recovery) is current. A receiver the role may not see
    /// (`receiverHidden`) is not judged.
    public static func staleness(of state: ReplicationState, standby: String, maxLagSeconds: Int) -> String? {
        guard state.inRecovery else { return nil }
        let lag = state.lagSeconds
        let paused = state.replayPaused ? " (replay is paused)" : ""
        if lag > Double(maxLagSeconds) {
            return "the standby at \(standby) lags \(Int(lag)) s behind the primary\(paused), over BACKUP_MAX_STANDBY_LAG (\(maxLagSeconds) s)"
        }
        // Paused replay with WAL waiting is stale however young its last replayed transaction
        // (or when none was replayed since the standby started and the age is unknown).
        if state.replayPaused && (state.lagBytes ?? 0) > 0 {
            return "replay on the standby at \(standby) is paused with \(state.lagBytes ?? 0) bytes of WAL waiting (pg_wal_replay_resume() continues it)"
        }
        guard !state.receiverHidden else { return nil }
        guard let status = state.receiverStatus else {
            return "the standby at \(standby) does not stream from the primary (its WAL receiver is not running), so its data may be old"
        }
        guard status == "streaming" else {
            return "the standby at \(standby) does not stream from the primary (its WAL receiver is \(status)), so its data may be old"
        }
        return nil
    }

    private static func fallBack(_ warning: String, to primary: PrimarySettings, logger: Logger) -> Choice {
        logger.warning("not backing up from BACKUP_HOST", metadata: [LogKey.error: "\(warning)"])
        return Choice(source: primary, warning: warning)
    }

    /// Whether a failed dump from a standby was ended by replay: "canceling statement due to
    /// conflict with recovery" (SQLSTATE 40001), or its session terminated for it — which often
    /// reaches the client only as "server closed the connection unexpectedly". Either way the
    /// primary can still be read. Looks at all of pg_dump's standard error, not only the lines a
    /// message shows.
    public static func isRecoveryConflict(_ error: any Error) -> Bool {
        let text: String
        switch error {
        case let error as ChildProcessError: text = error.stderr
        case let error as PostgresError: text = error.message
        default: return false
        }
        return text.contains("conflict with recovery") || text.contains("server closed the connection unexpectedly")
    }
}
