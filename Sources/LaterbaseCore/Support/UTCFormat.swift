import Foundation

/// Fixed-format dates in UTC (`yyyyMMdd_HHmmss` in file names, `yyyy-MM-dd HH:mm:ss 'UTC'` in
/// messages), with the POSIX locale so the user's locale never changes them.
public enum UTCFormat {
    /// A new formatter for `pattern` (DateFormatter pattern syntax) in UTC.
    public static func formatter(_ pattern: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter
    }

    /// A moment as every message shows it: `2026-11-24 14:34:59 UTC`.
    public static func message(_ date: Date) -> String { messageFormatter.string(from: date) }

    private static let messageFormatter = formatter("yyyy-MM-dd HH:mm:ss 'UTC'")
}
