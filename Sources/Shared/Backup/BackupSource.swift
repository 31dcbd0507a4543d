import Logging

/// Which server a pass reads from. `BACKUP_HOST` may name the standby, to spare the Resolve
/// server; a standby that does not answer, or whose replay lags more than
/// `BACKUP_MAX_STANDBY_LAG` behind, would give no backup or a stale one, so the pass then reads
/// from the primary and says so in a warning.
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
        let lag = state.lagSeconds
        // Paused replay with WAL waiting is stale however young its last replayed transaction
        // (or when none was replayed since the standby started and the age is unknown).
        let pausedBehind = state.replayPaused && (state.lagBytes ?? 0) > 0
        guard state.inRecovery, lag > Double(settings.maxStandbyLagSeconds) || pausedBehind else { return Choice(source: source, warning: nil) }
        let paused = state.replayPaused ? " (replay is paused)" : ""
        if lag > Double(settings.maxStandbyLagSeconds) {
            return fallBack("the standby at \(standby) lags \(Int(lag)) s behind the primary\(paused), over BACKUP_MAX_STANDBY_LAG "
                + "(\(settings.maxStandbyLagSeconds) s); \(fallback)", to: primary, logger: logger)
        }
        return fallBack("replay on the standby at \(standby) is paused with \(state.lagBytes ?? 0) bytes of WAL waiting "
            + "(pg_wal_replay_resume() continues it); \(fallback)", to: primary, logger: logger)
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
