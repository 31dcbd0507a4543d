/// How to reach the Resolve server (the primary). Shared by both executables.
public struct PrimarySettings: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: Secret?
    public var sslMode: String

    public static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    public init(host: String, port: Int = 5432, user: String = "postgres", password: Secret? = nil, sslMode: String = "prefer") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.sslMode = sslMode
    }

    /// Reads `PRIMARY_HOST` (required), `PRIMARY_PORT`, `PRIMARY_USER`, `REPL_PASSWORD`
    /// (or `REPL_PASSWORD_FILE`) and `PRIMARY_SSLMODE`.
    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        host = try env.requiredString("PRIMARY_HOST", expected: "the host name or address of the Resolve PostgreSQL server")
        port = try env.port("PRIMARY_PORT", default: 5432)
        user = env.string("PRIMARY_USER", default: "postgres")!
        password = try env.secret("REPL_PASSWORD")
        sslMode = try env.choice("PRIMARY_SSLMODE", Self.sslModes, default: "prefer")
    }

    /// Connection parameters for `database` on the primary.
    public func connection(database: String = "postgres", replication: Bool = false, timeoutSeconds: Int = 10) -> ConnectionParameters {
        ConnectionParameters(host: host, port: port, user: user, password: password, database: database,
                             sslMode: sslMode, connectTimeoutSeconds: timeoutSeconds, replication: replication)
    }
}
