import LaterbaseCore


extension PostgresCluster {
    /// Runs `body` while another session holds `LOCK TABLE table IN ACCESS EXCLUSIVE MODE` in
    /// `database` (as a Resolve schema upgrade does), so every reader of the table waits.
    /// The lock is released when `body` returns or throws.
    public func withTableLocked<T>(_ table: String, database: String, _ body: () async throws -> T) async throws -> T {
        let holder = try PostgresConnection.connect(parameters(database: database))
        defer { holder.close() }
        try holder.simpleQuery("BEGIN; LOCK TABLE \(SQLQuoting.identifier(table)) IN ACCESS EXCLUSIVE MODE")
        let result = try await body()
        try holder.simpleQuery("ROLLBACK")
        return result
    }

    /// How many sessions with `application_name` are waiting for a heavyweight lock now.
    public func sessionsWaitingForLock(application: String) async throws -> Int {
        let count = try await query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [application]).scalar
        return Int(count ?? "0") ?? 0
    }

    /// How many sessions with `application_name` exist now (any state).
    public func sessions(application: String) async throws -> Int {
        let count = try await query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", [application]).scalar
        return Int(count ?? "0") ?? 0
    }
}
