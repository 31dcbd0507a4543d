import Shared

extension PostgresCluster {
    /// The environment of a `backup-agent` aimed at this cluster and backing up into
    /// `backupDirectory`: the superuser's login, sslmode=disable, TZ=UTC, debug logs; `extra` wins.
    public func agentEnvironment(backupDirectory: String, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": String(port), "PRIMARY_USER": superuser,
            "REPL_PASSWORD": password.reveal(), "PRIMARY_SSLMODE": "disable", "BACKUP_DIR": backupDirectory,
            "TZ": "UTC", "LOG_LEVEL": "debug",
        ].merging(extra) { _, new in new }
    }
}
