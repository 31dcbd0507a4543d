import Foundation
import LaterbaseCore

/// Fixes to print for the Resolve server's PostgreSQL: where Resolve keeps its configuration
/// and the lines or statements to add. Pure.
public enum ResolveServerHints {
    /// Where DaVinci Resolve's PostgreSQL 13 keeps `pg_hba.conf` on each platform.
    public static let hbaLocations =
        "/Library/PostgreSQL/13/data/pg_hba.conf on macOS, C:\\Program Files\\PostgreSQL\\13\\data\\pg_hba.conf on Windows"

    /// The `pg_hba.conf` lines that let `user` from `address` replicate and run the checks.
    public static func hbaLines(user: String, address: String?) -> [String] {
        let source = address.map { $0.contains(":") ? "\($0)/128" : "\($0)/32" } ?? "<standby-address>/32"
        return ["host replication \(user) \(source) scram-sha-256", "host all \(user) \(source) scram-sha-256"]
    }

    /// The full pg_hba fix, one line.
    public static func hbaFix(user: String, address: String?) -> String {
        let lines = hbaLines(user: user, address: address).map { "\"\($0)\"" }.joined(separator: " and ")
        return "on the Resolve server add \(lines) to pg_hba.conf (\(hbaLocations)), then reload it: SELECT pg_reload_conf();"
    }

    /// The client address the server named in "no pg_hba.conf entry for host "172.18.0.3", …".
    public static func clientAddress(inHbaMessage message: String) -> String? {
        guard let range = message.range(of: "host \"") else { return nil }
        let rest = message[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let address = String(rest[..<end])
        return address.isEmpty ? nil : address
    }

    /// `SELECT pg_create_physical_replication_slot('name');`
    public static func createSlotSQL(_ slot: String) -> String {
        "SELECT pg_create_physical_replication_slot(\(SQLQuoting.literal(slot)));"
    }

    /// `SELECT pg_drop_replication_slot('name');`
    public static func dropSlotSQL(_ slot: String) -> String {
        "SELECT pg_drop_replication_slot(\(SQLQuoting.literal(slot)));"
    }
}
