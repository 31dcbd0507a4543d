import Foundation
import LaterbaseCore

/// The TIME of `restore --at`: `2026-11-24 14:34:59` (or without seconds, or with a `T`) read in
/// the agent's `TZ`, or with an explicit zone (`Z`, `+01:00`, ` UTC`). Pure.
public enum RestoreTime {
    public static func parse(_ text: String, zone: TimeZone) -> Date? {
        var trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: #"(\d)T(\d)"#, with: "$1 $2", options: .regularExpression)
        var explicit: TimeZone?
        if trimmed.hasSuffix(" UTC") || trimmed.hasSuffix("Z") {
            trimmed = String(trimmed.dropLast(trimmed.hasSuffix("Z") ? 1 : 4))
            explicit = TimeZone(identifier: "UTC")
        } else if let match = trimmed.range(of: #"[+-]\d\d(:?\d\d)?$"#, options: .regularExpression), trimmed.distance(from: trimmed.startIndex, to: match.lowerBound) >= 16 {
            let offset = trimmed[match].replacingOccurrences(of: ":", with: "")
            let sign = offset.first == "-" ? -1 : 1
            let digits = offset.dropFirst()
            let hours = Int(digits.prefix(2)) ?? 0
            let minutes = digits.count > 2 ? Int(digits.suffix(2)) ?? 0 : 0
            explicit = TimeZone(secondsFromGMT: sign * (hours * 3600 + minutes * 60))
            trimmed = String(trimmed[..<match.lowerBound])
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = explicit ?? zone
        formatter.isLenient = false
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }

    /// `2026-11-24 13:34:59+00`: how recovery_target_time is given to the scratch server.
    public static func postgresText(_ date: Date) -> String {
        UTCFormat.formatter("yyyy-MM-dd HH:mm:ss'+00'").string(from: date)
    }
}
