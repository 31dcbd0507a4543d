import Foundation

/// The settings a hot standby must not set lower than its primary (`max_connections`,
/// `max_worker_processes`, `max_wal_senders`, `max_prepared_transactions`,
/// `max_locks_per_transaction`), as the scratch server of `restore --at` learns them from its log.
///
/// The scratch server starts with the base backup's configuration. When the primary had, or
/// later got, a higher value, PostgreSQL refuses to go on: before consistency (and on 13
/// always) with a FATAL, after it (14+) by pausing replay. 14+ logs `DETAIL: max_connections = 40
/// is a lower setting than on the primary server, where its value was 150.`, 13 `FATAL: hot standby
/// is not possible because max_connections = 40 is a lower setting than on the master server (its
/// value was 150)`. The scratch server is then restarted with the
/// primary's value, which replay needs to go on. Pure.
package struct HotStandbySettings: Equatable, Sendable {
    /// The values set on the scratch server so far, by name.
    private(set) var values: [String: Int] = [:]

    package init() {}

    /// Values the log asks for that are higher than those set so far, highest per name, sorted by name.
    package func raises(inLog log: String) -> [(name: String, value: Int)] {
        var wanted: [String: Int] = [:]
        for (name, value) in Self.required(inLog: log) where value > (values[name] ?? 0) {
            wanted[name] = max(wanted[name] ?? 0, value)
        }
        return wanted.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Records values set on the scratch server.
    package mutating func set(_ raises: [(name: String, value: Int)]) {
        for raise in raises { values[raise.name] = max(values[raise.name] ?? 0, raise.value) }
    }

    /// Every `NAME = CURRENT is a lower setting than on the primary server, where its value was
    /// VALUE` (14 and newer) or `… than on the master server (its value was VALUE)` (13) in the
    /// log, as (NAME, VALUE), in order.
    static func required(inLog log: String) -> [(name: String, value: Int)] {
        log.split(whereSeparator: \.isNewline).compactMap { line in
            guard let match = line.firstMatch(of: Self.pattern), let value = Int(match.output.2) else { return nil }
            return (String(match.output.1), value)
        }
    }

    nonisolated(unsafe) private static let pattern = #/(max_[a-z_]+) = \d+ is a lower setting than on the (?:primary|master) server(?:, where its value was | \(its value was )(\d+)/#

    /// PostgreSQL's own words for the setting, from the last line of the log that names one: for messages.
    package static func lastDetail(inLog log: String) -> String? {
        log.split(whereSeparator: \.isNewline).compactMap { $0.firstMatch(of: Self.pattern) }.last.map { String($0.output.0) }
    }
}
