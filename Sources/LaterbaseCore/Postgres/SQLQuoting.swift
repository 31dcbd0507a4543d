import Foundation
/// Quoting for the rare places where SQL text must be built (replication commands, CREATE
/// DATABASE): everything else uses parameters. Pure functions, the same rules as libpq's
/// `PQescapeIdentifier` and `PQescapeLiteral`.
public enum SQLQuoting {
    /// `SM_Project` → `"SM_Project"`; embedded double quotes are doubled. NUL is not allowed
    /// in identifiers and is dropped.
    public static func identifier(_ name: String) -> String {
        let body = name.replacingOccurrences(of: "\0", with: "").replacingOccurrences(of: "\"", with: "\"\"")
        return "\"\(body)\""
    }

    /// `it's` → `'it''s'`; text holding a backslash becomes an `E'...'` literal with backslashes
    /// doubled, so the result means the same whatever `standard_conforming_strings` is.
    public static func literal(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\0", with: "")
        let quoted = clean.replacingOccurrences(of: "'", with: "''")
        if clean.contains("\\") {
            return "E'\(quoted.replacingOccurrences(of: "\\", with: "\\\\"))'"
        }
        return "'\(quoted)'"
    }
}
