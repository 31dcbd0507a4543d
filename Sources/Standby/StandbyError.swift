import LaterbaseCore

/// The standby refused to go on or could not: a data directory it must not touch, a promotion
/// it will not do, a file operation that failed. ``description`` is the one line for people
/// with the fix; callers and tests decide by ``code``.
public typealias StandbyError = CodedError<StandbyErrorCode>

/// What went wrong, for ``StandbyError``.
public enum StandbyErrorCode: String, Sendable {
    /// PGDATA holds files that are not a PostgreSQL data directory.
    case notADataDirectory
    /// PGDATA holds a primary's data directory the entrypoint never configured.
    case foreignPrimary
    /// PGDATA was promoted and is ahead of the old primary, which answers.
    case promotedAhead
    /// PGDATA does not match the primary and STANDBY_RECLONE=never.
    case mismatch
    /// PGDATA does not match and cannot be moved aside (a mount point).
    case mismatchOnMountPoint
    /// PGDATA's `postmaster.pid` names a live server: it is neither moved aside nor removed.
    case serverRunning
    /// The primary is not ready for a standby (preflight failures).
    case primaryNotReady
    /// The primary did not answer within STANDBY_CLONE_RETRY_SECONDS.
    case primaryUnreachable
    /// The clone failed; nothing was kept.
    case cloneFailed
    /// A file or directory operation failed.
    case fileSystem
    /// A PostgreSQL tool printed something that cannot be read.
    case unreadableToolOutput
    /// postgres could not be exec'd.
    case exec
    /// Root privileges could not be dropped.
    case privileges
    /// `promote`: the standby's own server does not answer.
    case localServerUnreachable
    /// `promote`: the server is not a standby.
    case notAStandby
    /// `promote`: the old primary still answers (without --force).
    case primaryStillAnswers
    /// `promote`: the server did not become writable in time.
    case promotionTimeout
}
