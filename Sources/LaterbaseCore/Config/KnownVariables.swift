import Foundation
import Logging

/// Every environment variable Laterbase's programs and its compose file read, and the warning
/// for a variable that looks like one of them but is not: `BACKUP_SCHEDUEL=@daily` would
/// otherwise be ignored in silence and the default schedule run instead.
///
/// Only names with one of Laterbase's ``prefixes`` are looked at: the environment of a container
/// or a shell holds many other variables (`PATH`, `HOSTNAME`, libpq's `PG*`, rclone's own
/// `RCLONE_CONFIG_<REMOTE>_*`), and those are not ours to judge.
public enum KnownVariables {
    /// The names, with `_FILE` for each secret (Docker secrets). A new setting is added here,
    /// in docs/configuration.md and, where users set it, in .env.example.
    public static let names: Set<String> = [
        // The Resolve server, the standby, the replication slot
        "PRIMARY_HOST", "PRIMARY_PORT", "PRIMARY_USER", "PRIMARY_SSLMODE", "PRIMARY_DBS", "PRIMARY_DB",
        "REPL_PASSWORD", "REPL_PASSWORD_FILE", "REPLICATION_SLOT", "CREATE_SLOT",
        "STANDBY_ACCESS_SUBNETS", "STANDBY_RECLONE", "STANDBY_CLONE_MAX_RATE", "STANDBY_CLONE_RETRY_SECONDS",
        "STANDBY_PUBLISHED_PORT", "HEALTH_MAX_LAG_SECONDS",
        // Backups, retention, offsite
        "BACKUP_HOST", "BACKUP_PORT", "BACKUP_DIR", "BACKUP_SCHEDULE", "BACKUP_ON_START",
        "BACKUP_COMPRESSION_LEVEL", "BACKUP_RETENTION_DAYS", "BACKUP_KEEP_HOURLY", "BACKUP_KEEP_DAILY",
        "BACKUP_KEEP_WEEKLY", "BACKUP_KEEP_MONTHLY", "BACKUP_LOCK_WAIT", "BACKUP_MAX_STANDBY_LAG", "RESTORE_JOBS", "OFFSITE_REQUIRE_ENCRYPTION",
        "HEALTH_MAX_BACKUP_AGE", "RCLONE_REMOTE_NAME", "RCLONE_REMOTE_PATH", "VERIFY_SCHEDULE",
        // The undo window
        "WAL_ARCHIVE", "WAL_SLOT", "WAL_KEEP_DAYS", "BASE_BACKUP_SCHEDULE", "BASE_BACKUP_AFTER_WAL",
        // The console
        "CONSOLE", "CONSOLE_PORT", "CONSOLE_ADDRESS", "CONSOLE_PASSWORD", "CONSOLE_PASSWORD_FILE",
        "CONSOLE_PUBLISHED_PORT",
        // Notifications and the dead man's switch
        "NOTIFY_URLS", "NOTIFY_URLS_FILE", "NOTIFY_REPEAT", "PING_URL", "PING_URL_FILE", "NOTIFY_DAILY_SUMMARY",
        "BACKUP_MIN_FREE_SPACE", "HEALTH_MAX_SLOT_WAL", "OFFSITE_MAX_WAL_LAG", "DRILL_SCHEDULE",
        // Logging; the compose file's own
        "LOG_FORMAT", "LOG_LEVEL", "BACKUP_HOST_DIR", "BACKUP_UID", "BACKUP_GID", "RCLONE_CONFIG_HOST_DIR",
        "LATERBASE_NETWORK_SUBNET",
    ]

    /// The prefixes that mark a variable as meant for Laterbase.
    public static let prefixes = [
        "PRIMARY_", "REPL_", "REPLICATION_", "STANDBY_", "BACKUP_", "BASE_BACKUP_", "WAL_", "HEALTH_",
        "CONSOLE_", "LOG_", "LATERBASE_", "OFFSITE_", "NOTIFY_", "VERIFY_", "RESTORE_", "PING_",
    ]

    /// One line per variable of `environment` that carries a Laterbase prefix but that no part
    /// of Laterbase reads, naming the nearest known name when one is close; sorted by name.
    public static func warnings(in environment: [String: String]) -> [String] {
        environment.keys.filter(isUnknown).sorted().map { name in
            if let nearest = nearest(to: name) {
                return "\(name) is not a Laterbase variable and is ignored; did you mean \(nearest)?"
            }
            return "\(name) is not a Laterbase variable and is ignored; docs/configuration.md lists them all"
        }
    }

    /// Logs each of ``warnings(in:)`` once, as a warning (a `run` command's start).
    public static func warnAboutUnknown(in environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) {
        for line in warnings(in: environment) { logger.warning("\(line)") }
    }

    /// "; CONSOLE_PASSWRD is set: did you mean CONSOLE_PASSWORD?" when an unknown variable of the
    /// environment is nearest to `variable` (a configuration error about it), else "".
    public static func misspelling(of variable: String, in environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = variable.hasSuffix("_FILE") ? String(variable.dropLast(5)) : variable
        let typed = environment.keys.sorted().filter { name in
            isUnknown(name) && nearest(to: name).map { $0 == base || $0 == variable } == true
        }
        return typed.isEmpty ? "" : "; \(typed.joined(separator: ", ")) \(typed.count == 1 ? "is" : "are") set: did you mean \(base)?"
    }

    /// A name with one of Laterbase's prefixes that is not one of its variables.
    static func isUnknown(_ name: String) -> Bool {
        !names.contains(name) && prefixes.contains { name.hasPrefix($0) }
    }

    /// The known name closest to `name` by edit distance, if within a third of its length
    /// (at least 3 edits): `BACKUP_RETAIN_DAYS` → `BACKUP_RETENTION_DAYS`.
    static func nearest(to name: String) -> String? {
        let bound = max(3, name.count / 3)
        let ranked = names.map { (name: $0, distance: editDistance(name, $0)) }
            .filter { $0.distance <= bound }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
        return ranked.first?.name
    }

    /// Levenshtein distance (insert, delete, substitute one character).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i]
            for j in 1...b.count {
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
