import LaterbaseCore

/// A library's tables stayed locked by another session for longer than `BACKUP_LOCK_WAIT`
/// (a Resolve schema upgrade, a long maintenance transaction): this pass skips the library,
/// the next one tries again. Thrown before pg_dump starts, so nothing is written.
public struct BackupLockTimeout: Error, CustomStringConvertible, Sendable {
    public let database: String
    public let seconds: Int
    /// The server's error (lock_timeout, SQLSTATE 55P03), for the log.
    public let error: PostgresError

    public var description: String {
        "Resolve's tables in \(database) stayed locked by another session for more than \(seconds) s (BACKUP_LOCK_WAIT), "
            + "as during a Resolve schema upgrade; nothing was written and the next pass tries again "
            + "(if the lock does not go away, find the session holding it in pgAdmin's dashboard or pg_locks)"
    }
}
