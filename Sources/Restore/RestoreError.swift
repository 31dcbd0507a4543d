import LaterbaseCore

/// A restore (or `verify --restore-test`) that refused or failed. ``description`` says what was
/// done about the new database; callers decide by ``code``.
public typealias RestoreError = CodedError<RestoreErrorCode>

/// What went wrong, for ``RestoreError``.
public enum RestoreErrorCode: String, Sendable {
    /// The file does not match the SHA-256 of its manifest.
    case checksumMismatch
    /// No usable name for the new database.
    case invalidName
    /// The target database exists; restore never writes into one.
    case databaseExists
    /// psql failed and the new database was dropped again.
    case failed
    /// psql failed and the new database could not be dropped.
    case failedAndLeftBehind
    /// `export --out` names no usable file (not a folder, not `.backup`, an existing file).
    case exportPath
    /// The export's folder (or BACKUP_DIR for its scratch server) cannot hold it.
    case noSpace
}
