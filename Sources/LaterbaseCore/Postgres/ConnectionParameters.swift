/// Everything needed to open one libpq connection, kept as separate values so that it is
/// passed to `PQconnectdbParams` as keyword/value arrays — never glued into a conninfo string.
///
/// `description` never includes the password.
public struct ConnectionParameters: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: Secret?
    public var database: String
    /// libpq `sslmode`: disable, allow, prefer, require, verify-ca or verify-full.
    public var sslMode: String
    /// Seconds libpq waits for the server to answer (libpq's `connect_timeout`, minimum 2).
    public var connectTimeoutSeconds: Int
    public var applicationName: String
    /// The server's `lock_timeout` for this session: how long one statement waits for a lock
    /// before it fails with SQLSTATE 55P03. 0 means no limit (never used by Laterbase).
    public var lockTimeoutSeconds: Int
    /// The server's `statement_timeout` for this session: how long one statement may run
    /// (lock waits included) before it fails with SQLSTATE 57014.
    public var statementTimeoutSeconds: Int
    /// Open a physical replication connection (`replication=true`), which accepts
    /// IDENTIFY_SYSTEM and slot commands but no SQL.
    public var replication: Bool

    public init(
        host: String, port: Int = 5432, user: String = "postgres", password: Secret? = nil,
        database: String = "postgres", sslMode: String = "prefer", connectTimeoutSeconds: Int = 10,
        applicationName: String = "laterbase", replication: Bool = false,
        lockTimeoutSeconds: Int = ConnectionParameters.defaultLockTimeoutSeconds,
        statementTimeoutSeconds: Int = ConnectionParameters.defaultStatementTimeoutSeconds
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
        self.replication = replication
        self.lockTimeoutSeconds = lockTimeoutSeconds
        self.statementTimeoutSeconds = statementTimeoutSeconds
    }

    /// Laterbase's own statements read catalogs and small tables only: a lock that is not
    /// granted within 10 s is someone else's long transaction, not a queue to wait in.
    public static let defaultLockTimeoutSeconds = 10
    /// No statement of Laterbase's own takes more than a fraction of a second on a healthy server.
    public static let defaultStatementTimeoutSeconds = 60

    /// A copy aimed at another database on the same server.
    public func with(database: String) -> ConnectionParameters {
        var copy = self
        copy.database = database
        return copy
    }

    /// The keyword/value pairs handed to `PQconnectdbParams`, in order. Includes the password.
    public func keywordValuePairs() -> [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host),
            ("port", String(port)),
            ("user", user),
            ("dbname", database),
            ("sslmode", sslMode),
            ("connect_timeout", String(max(2, connectTimeoutSeconds))),
            ("application_name", applicationName),
            ("options", "-c lock_timeout=\(max(0, lockTimeoutSeconds) * 1000) -c statement_timeout=\(max(0, statementTimeoutSeconds) * 1000)"),
        ]
        if let password { pairs.append(("password", password.reveal())) }
        if replication { pairs.append(("replication", "true")) }
        return pairs
    }

    /// `user@host:port/database`, for logs and messages.
    public var description: String { "\(user)@\(host):\(port)/\(database)" }
}
