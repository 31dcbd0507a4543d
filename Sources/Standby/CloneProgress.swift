import Foundation

/// A `pg_basebackup --progress` report (`123456/2345678 kB (5%), 0/1 tablespace`). Pure.
public struct CloneProgress: Sendable, Equatable {
    public let doneKB: Int64
    public let totalKB: Int64
    public let percent: Int

    public init(doneKB: Int64, totalKB: Int64, percent: Int) {
        self.doneKB = doneKB
        self.totalKB = totalKB
        self.percent = percent
    }

    /// Finds the last report in `line` (pg_basebackup may glue several together with `\r`).
    public static func parse(_ line: String) -> CloneProgress? {
        let reports = line.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        for report in reports.reversed() {
            guard let kbRange = report.range(of: " kB (") else { continue }
            let numbers = report[..<kbRange.lowerBound].split(separator: " ").last ?? ""
            let parts = numbers.split(separator: "/")
            guard parts.count == 2, let done = Int64(parts[0]), let total = Int64(parts[1]) else { continue }
            let percentText = report[kbRange.upperBound...].prefix(while: { $0.isNumber })
            guard let percent = Int(percentText) else { continue }
            return CloneProgress(doneKB: done, totalKB: total, percent: percent)
        }
        return nil
    }

    /// `512 MB of 2.3 GB (22%)`.
    public var summary: String { "\(Self.size(doneKB)) of \(Self.size(totalKB)) (\(percent)%)" }

    static func size(_ kilobytes: Int64) -> String {
        if kilobytes >= 1024 * 1024 { return "\(Double(kilobytes * 10 / (1024 * 1024)) / 10) GB" }
        if kilobytes >= 1024 { return "\(kilobytes / 1024) MB" }
        return "\(kilobytes) kB"
    }
}
