import Foundation

/// Byte counts as people read them: "1.5 GB", "12.0 MB", "3.2 kB", "512 bytes".
public enum ByteText {
    public static func text(_ bytes: Int64) -> String {
        let value = Double(bytes)
        if value >= 1_073_741_824 { return String(format: "%.1f GB", value / 1_073_741_824) }
        if value >= 1_048_576 { return String(format: "%.1f MB", value / 1_048_576) }
        if value >= 1024 { return String(format: "%.1f kB", value / 1024) }
        return "\(bytes) bytes"
    }
}
