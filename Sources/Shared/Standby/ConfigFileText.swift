import Foundation

/// Editing PostgreSQL configuration text (`postgresql.auto.conf`, `pg_hba.conf`). Pure functions.
public enum ConfigFileText {
    /// A `postgresql.conf` string value: single quotes, `'` doubled and `\` doubled (the server
    /// reads backslash escapes inside quoted values).
    public static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

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

    /// The lower-cased setting a line assigns (`port = 5432`, `port 5432`, `port=5432`), nil for comments and blanks.
    public static func settingName(_ line: Substring) -> String? {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard let first = trimmed.first, first != "#" else { return nil }
        let name = trimmed.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." })
        return name.isEmpty ? nil : name.lowercased()
    }

    /// The value `name` is set to in `text` (last assignment wins, quotes removed), or nil.
    public static func value(of name: String, in text: String) -> String? {
        var found: String?
        for line in text.split(separator: "\n") where settingName(line) == name.lowercased() {
            var rest = line.drop(while: { $0 == " " || $0 == "\t" }).dropFirst(name.count)
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "=" })
            if rest.first == "'" {
                var value = ""
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex {
                    let character = rest[index]
                    index = rest.index(after: index)
                    if character == "\\", index < rest.endIndex {
                        value.append(rest[index]); index = rest.index(after: index)
                    } else if character == "'" {
                        if index < rest.endIndex, rest[index] == "'" { value.append("'"); index = rest.index(after: index) } else { break }
                    } else {
                        value.append(character)
                    }
                }
                found = value
            } else {
                found = String(rest.prefix(while: { !$0.isWhitespace && $0 != "#" }))
            }
        }
        return found
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
