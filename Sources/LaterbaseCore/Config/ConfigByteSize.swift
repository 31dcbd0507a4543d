import Foundation

/// Parses sizes as written in the environment: plain bytes (`1048576`) or a whole number with a
/// binary unit (`500M`, `10G`, `2 GB`, `1TiB`: `K`, `M`, `G`, `T`, optionally followed by `B` or
/// `iB`; powers of 1024, as in PostgreSQL's own settings).
public enum ConfigByteSize {
    /// Returns the size in bytes, or nil when `text` is not a size.
    public static func parseBytes(_ text: String) -> Int64? {
        var unit = text.trimmingCharacters(in: .whitespaces).uppercased()
        if unit.hasSuffix("IB") { unit.removeLast(2) } else if unit.hasSuffix("B") { unit.removeLast() }
        let shift: Int64
        switch unit.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        case "T": shift = 40
        default: shift = 0
        }
        let digits = (shift == 0 ? Substring(unit) : unit.dropLast()).trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : product
    }
}

extension EnvironmentReader {
    /// A size in bytes (``ConfigByteSize``); nil when unset.
    public func byteSize(_ name: String) throws(ConfigurationError) -> Int64? {
        guard let (used, text) = raw([name]) else { return nil }
        guard let bytes = ConfigByteSize.parseBytes(text) else {
            throw ConfigurationError(variable: used, problem: "must be a size such as 500M, 10G or 1T, got \"\(text)\"")
        }
        return bytes
    }
}
