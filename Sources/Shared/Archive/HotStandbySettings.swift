import Foundation

/// The settings a hot standby must not set lower than its primary (`max_connections`,
/// `max_worker_processes`, `max_wal_senders`, `max_prepared_transactions`,
/// `max_locks_per_transaction`), as the scratch server of `restore --at` learns them from its log.
///
/// The scratch server starts with the base backup's configuration. When the primary had, or
/// later got, a higher value, PostgreSQL refuses to go on: before consistency (and on 13
/// always) with `FATAL: recovery aborted because of insufficient parameter settings`, after it
/// (14+) by pausing replay. Both log `DETAIL: max_connections = 40 is a lower setting than on
/// the primary server, where its value was 150.` The scratch server is then restarted with the
/// primary's value, which replay needs to go on. Pure.
struct HotStandbySettings: Equatable, Sendable {
    /// The values set on the scratch server so far, by name.
    private(set) var values: [String: Int] = [:]

    /// Values the log asks for that are higher than those set so far, highest per name, sorted by name.
    func raises(inLog log: String) -> [(name: String, value: Int)] {
        var wanted: [String: Int] = [:]
        for (name, value) in Self.required(inLog: log) where value > (values[name] ?? 0) {
            wanted[name] = max(wanted[name] ?? 0, value)
        }
        return wanted.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Records values set on the scratch server.
    mutating func set(_ raises: [(name: String, value: Int)]) {
        for raise in raises { values[raise.name] = max(values[raise.name] ?? 0, raise.value) }
    }

    /// Every `NAME = CURRENT is a lower setting than on the primary server, where its value was
    /// VALUE` in the log, as (NAME, VALUE), in order.
    static func required(inLog log: String) -> [(name: String, value: Int)] {
        let marker = " is a lower setting than on the primary server, where its value was "
        var found: [(name: String, value: Int)] = []
        for line in log.split(whereSeparator: \.isNewline) {
            guard let range = line.range(of: marker) else { continue }
            let value = Int(line[range.upperBound...].prefix { $0.isNumber })
            let head = line[..<range.lowerBound]
            guard let equals = head.range(of: " = ", options: .backwards), let value else { continue }
            let name = head[..<equals.lowerBound].split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).last.map(String.init)
            if let name, name.hasPrefix("max_") { found.append((name, value)) }
        }
        return found
    }
}
