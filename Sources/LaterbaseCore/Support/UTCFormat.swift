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
}
