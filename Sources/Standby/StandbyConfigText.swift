import Foundation
import LaterbaseCore

/// The standby's edits of its configuration: the managed block of `postgresql.auto.conf` and its own `pg_hba.conf`.
extension ConfigFileText {
    /// The marker line above the settings the standby manages.
    public static let managedMarker = "# Managed by standby-entrypoint (rewritten at every start):"

    /// `existing` with every line that sets one of `settings`' names (and the marker) removed,
    /// then `settings` appended as `name = 'value'` under the marker. Names compare case-insensitively.
    public static func merge(existing: String, settings: [(String, String)]) -> String {
        let names = Set(settings.map { $0.0.lowercased() })
        var kept: [Substring] = []
        for line in existing.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces) == managedMarker { continue }
            if let name = settingName(line), names.contains(name) { continue }
            kept.append(line)
        }
        while let last = kept.last, last.trimmingCharacters(in: .whitespaces).isEmpty { kept.removeLast() }
        var lines = kept.map(String.init)
        lines.append(managedMarker)
        lines += settings.map { "\($0.0) = \(quote($0.1))" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The standby's `pg_hba.conf`: peer for local sockets, scram-sha-256 on loopback (used by
    /// `healthcheck`, `status` and `promote`), and scram-sha-256 for every access subnet, both
    /// for databases and for replication (a later standby of this one after a failover).
    public static func hba(subnets: [CIDRSubnet]) -> String {
        var lines = [
            "# Written by standby-entrypoint at every start from STANDBY_ACCESS_SUBNETS; edits here are replaced.",
            "# The primary's own file is kept beside it as \(StandbyFiles.primaryHbaCopy).",
            "# TYPE  DATABASE     USER  ADDRESS                 METHOD",
            "local   all          all                           peer",
            "host    all          all   127.0.0.1/32            scram-sha-256",
            "host    all          all   ::1/128                 scram-sha-256",
        ]
        for subnet in subnets {
            let address = subnet.description.padding(toLength: max(22, subnet.description.count), withPad: " ", startingAt: 0)
            lines.append("host    all          all   \(address)  scram-sha-256")
            lines.append("host    replication  all   \(address)  scram-sha-256")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
