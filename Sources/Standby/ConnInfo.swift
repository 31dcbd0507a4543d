import Foundation

/// libpq connection strings (`host=… port=…`), as written into `primary_conninfo`.
///
/// Pure functions. A value is single-quoted, with `'` and `\` escaped by a backslash, which is
/// the quoting libpq's `conninfo_parse` undoes; so any value, spaces and quotes included,
/// comes back unchanged.
public enum ConnInfo {
    /// `it's` → `'it\'s'`; `C:\x` → `'C:\\x'`; an empty value → `''`.
    public static func quote(_ value: String) -> String {
        var out = "'"
        for character in value {
            if character == "'" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "'"
    }

    /// `key='value' key='value'`, in the given order. Keys are libpq keywords (never quoted).
    public static func render(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0)=\(quote($0.1))" }.joined(separator: " ")
    }

    /// Parses a conninfo string back into pairs (the inverse of ``render(_:)``; also accepts
    /// unquoted values). Returns nil on malformed text. Used to read back `primary_conninfo`.
    public static func parse(_ text: String) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        var index = text.startIndex
        func skipSpaces() { while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) } }
        while true {
            skipSpaces()
            guard index < text.endIndex else { return pairs }
            var key = ""
            while index < text.endIndex, text[index] != "=", !text[index].isWhitespace {
                key.append(text[index]); index = text.index(after: index)
            }
            skipSpaces()
            guard !key.isEmpty, index < text.endIndex, text[index] == "=" else { return nil }
            index = text.index(after: index)
            skipSpaces()
            var value = ""
            if index < text.endIndex, text[index] == "'" {
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let character = text[index]
                    index = text.index(after: index)
                    if character == "\\" {
                        guard index < text.endIndex else { return nil }
                        value.append(text[index]); index = text.index(after: index)
                    } else if character == "'" {
                        closed = true; break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
            } else {
                while index < text.endIndex, !text[index].isWhitespace {
                    if text[index] == "\\" {
                        index = text.index(after: index)
                        guard index < text.endIndex else { return nil }
                    }
                    value.append(text[index]); index = text.index(after: index)
                }
            }
            pairs.append((key, value))
        }
    }
}
