import Foundation

/// A PostgreSQL major version: `13`, `15`, or `9.5` for the old two-part numbering.
///
/// Physical replication needs the same major version on both sides; these pure functions
/// read it from the server's `server_version_num` and from `postgres --version`.
public struct PostgresMajorVersion: Sendable, Equatable, CustomStringConvertible {
    /// `13`, or `905` for 9.5 (the `server_version_num` numbering divided by 100).
    public let code: Int

    public init(code: Int) { self.code = code }

    /// From `server_version_num` (`130012` → 13, `90524` → 9.5). Nil when not a version number.
    public init?(serverVersionNumber: Int) {
        guard serverVersionNumber >= 80000 else { return nil }
        code = serverVersionNumber >= 100_000 ? serverVersionNumber / 10_000 : serverVersionNumber / 100
    }

    /// From `postgres --version` or `server_version` text:
    /// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15, `9.5.25` → 9.5,
    /// `13.12` → 13, `16beta2` → 16. Nil when no version is found.
    public init?(versionText: String) {
        let words = versionText.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        let candidate = words.first(where: { $0.first?.isNumber == true }) ?? ""
        let leading = candidate.prefix(while: { $0.isNumber || $0 == "." })
        let parts = leading.split(separator: ".").compactMap { Int($0) }
        guard let first = parts.first, first > 0 else { return nil }
        if first >= 10 {
            code = first
        } else {
            guard parts.count >= 2 else { return nil }
            code = first * 100 + parts[1]
        }
    }

    /// `13`, `9.5`.
    public var description: String { code >= 100 ? "\(code / 100).\(code % 100)" : "\(code)" }
}
