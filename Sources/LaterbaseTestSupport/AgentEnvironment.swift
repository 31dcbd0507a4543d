import Foundation
import LaterbaseCore

extension PostgresCluster {
    /// The environment of a `backup-agent` aimed at this cluster and backing up into
    /// `backupDirectory`: the superuser's login, sslmode=disable, TZ=UTC, debug logs, the run's
    /// ``testedPrograms``; `extra` wins.
    public func agentEnvironment(backupDirectory: String, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": String(port), "PRIMARY_USER": superuser,
            "REPL_PASSWORD": password.reveal(), "PRIMARY_SSLMODE": "disable", "BACKUP_DIR": backupDirectory,
            "TZ": "UTC", "LOG_LEVEL": "debug",
        ].merging(testedPrograms) { _, new in new }.merging(extra) { _, new in new }
    }
}

/// `PG_BINDIR` of the test run, when it is set (a run against another major version:
/// `PG_BINDIR=/usr/lib/postgresql/13/bin scripts/test`), so the products under test use the same
/// PostgreSQL programs as the test clusters.
public var testedPrograms: [String: String] {
    ProcessInfo.processInfo.environment["PG_BINDIR"].flatMap { $0.isEmpty ? nil : ["PG_BINDIR": $0] } ?? [:]
}
