import LaterbaseCore

/// A refusal or failure of the undo window (WAL archive, base backups, `restore --at`); its
/// ``CodedError/description`` is the one line for the user, callers decide by ``CodedError/code``.
public typealias ArchiveError = CodedError<ArchiveErrorCode>

/// What went wrong, for ``ArchiveError``.
public enum ArchiveErrorCode: String, Sendable {
    /// No base backup in the archive yet.
    case noBaseBackup
    /// TIME is before the oldest restorable moment.
    case beforeWindow
    /// TIME is after the newest restorable moment.
    case afterWindow
    /// TIME falls where WAL is missing.
    case inGap
    /// The library did not exist at TIME.
    case unknownLibrary
    /// A base backup folder or manifest that cannot be used.
    case badBaseBackup
    /// pg_basebackup finished but the result cannot be stored.
    case baseBackupFailed
    /// No server programs of the base backup's major version.
    case noServerPrograms
    /// The scratch folder cannot be made or reached by the server's account.
    case scratch
    /// Replay cannot reach the target: WAL missing or damaged, a setting, a timeout.
    case replay
    /// The scratch server did not start or stopped during replay (its log's last lines say why).
    case scratchStopped
    /// Another agent holds the receiver's lock, or pg_receivewal ended.
    case receiver
}
