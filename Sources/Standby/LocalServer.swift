import Foundation
import LaterbaseCore

/// How `healthcheck`, `status` and `promote` reach the standby's own server: TCP on
/// 127.0.0.1 at `PGPORT`, as `PRIMARY_USER` with `REPL_PASSWORD`. The standby is a copy of
/// the primary, so the same role and password exist on it, and its `pg_hba.conf` allows
/// scram-sha-256 logins from loopback. No extra secret and no extra configuration.
public enum LocalServer {
    public static func parameters(_ settings: StandbySettings, timeoutSeconds: Int = 5) -> ConnectionParameters {
        ConnectionParameters(host: "127.0.0.1", port: settings.localPort, user: settings.primary.user,
                             password: settings.primary.password, database: "postgres", sslMode: "disable",
                             connectTimeoutSeconds: timeoutSeconds, applicationName: "laterbase-standby-check")
    }

    /// Reads the replication state of the local server.
    public static func replicationState(_ settings: StandbySettings, timeoutSeconds: Int = 5) async throws -> ReplicationState {
        let result = try await PostgresConnection.withConnection(parameters(settings, timeoutSeconds: timeoutSeconds)) {
            try $0.query(ReplicationState.query)
        }
        return ReplicationState(result)
    }
}
