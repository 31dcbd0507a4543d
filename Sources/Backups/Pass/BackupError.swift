import LaterbaseCore

/// A backup pass, the backup folder or a stored backup failed (not the server, which throws
/// ``PostgresError``, nor a child process, which throws ``ChildProcessError``).
///
/// Callers decide by ``code``; ``description`` is the one line for people, with what to do. It
/// never holds a secret or row data.
public typealias BackupError = CodedError<BackupErrorCode>

/// What went wrong, for ``BackupError``.
public enum BackupErrorCode: String, Sendable {
    /// `BACKUP_DIR` cannot be written or its lock file opened.
    case backupDirectoryUnusable
    /// Another agent holds the `BACKUP_DIR` lock.
    case lockHeld
    /// pg_dump is missing or its version unreadable.
    case pgDumpUnusable
    /// pg_dump is older than the server.
    case pgDumpTooOld
    /// A backup file could not be created or renamed.
    case fileSystem
    /// No backup matches the name given.
    case notFound
    /// A manifest written by a newer Laterbase.
    case manifestTooNew
    /// `BACKUP_SCHEDULE` never fires again.
    case scheduleNeverFires
    /// The last pass failed: retention refuses to remove anything.
    case retentionBlocked
    /// The agent's state file cannot be read.
    case stateUnreadable
}
