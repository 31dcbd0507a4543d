import Foundation

/// Reading and quoting PostgreSQL configuration text (`postgresql.conf` syntax). Pure functions;
/// the standby's own edits are in `Standby/StandbyConfigText.swift`.
public enum ConfigFileText {
    /// A `postgresql.conf` string value: single quotes, `'` doubled and `\` doubled (the server
    /// reads backslash escapes inside quoted values).
    public static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// The lower-cased setting a line assigns (`port = 5432`, `port 5432`, `port=5432`), nil for comments and blanks.
    public static func settingName(_ line: Substring) -> String? {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard let first = trimmed.first, first != "#" else { return nil }
        let name = trimmed.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." })
        return name.isEmpty ? nil : name.lowercased()
    }

    /// The value `name` is set to in `text` (last assignment wins, quotes removed), or nil.
    public static func value(of name: String, in text: String) -> String? {
        var found: String?
        for line in text.split(separator: "\n") where settingName(line) == name.lowercased() {
            var rest = line.drop(while: { $0 == " " || $0 == "\t" }).dropFirst(name.count)
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "=" })
            if rest.first == "'" {
                var value = ""
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex {
                    let character = rest[index]
                    index = rest.index(after: index)
                    if character == "\\", index < rest.endIndex {
                        value.append(rest[index]); index = rest.index(after: index)
                    } else if character == "'" {
                        if index < rest.endIndex, rest[index] == "'" { value.append("'"); index = rest.index(after: index) } else { break }
                    } else {
                        value.append(character)
                    }
                }
                found = value
            } else {
                found = String(rest.prefix(while: { !$0.isWhitespace && $0 != "#" }))
            }
        }
        return found
    }
}
