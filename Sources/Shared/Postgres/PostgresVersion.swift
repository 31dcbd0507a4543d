import Foundation
/// PostgreSQL major versions: what physical replication and pg_dump compatibility depend on.
public enum PostgresVersion {
    /// The major version in a tool's `--version` line: `pg_dump (PostgreSQL) 15.18 (Debian …)` → 15,
    /// `postgres (PostgreSQL) 9.5.25` → 9 (9.x majors are reported as 9).
    public static func major(fromToolOutput text: String) -> Int? {
        guard let range = text.range(of: #"\(PostgreSQL\) (\d+)"#, options: .regularExpression) else { return nil }
        let digits = text[range].drop { !$0.isNumber }
        return Int(digits)
    }

    /// The major version of `server_version_num`: 150004 → 15, 130012 → 13, 90525 → 9.
    public static func major(fromServerVersionNumber number: Int) -> Int {
        number / 10_000
    }
}
