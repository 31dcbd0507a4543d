import Foundation

/// Literal times for schedule and retention tests, in a zone (UTC by default).
public enum TestClock {
    public static let utc = TimeZone(identifier: "UTC")!

    /// `2026-11-24 14:00:00` in `zone`.
    public static func date(_ text: String, _ zone: TimeZone = utc) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text)!
    }

    /// `2026-11-24 14:00 UTC`.
    public static func text(_ date: Date, _ zone: TimeZone = utc) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: date)
    }
}
