/// Where a line of SQL text leaves the lexer: at the top level, or inside a string, a quoted
/// name, a dollar-quoted body or a comment that the next line continues. ``DumpSplitter`` reads
/// an entry header or a COPY only at the top level, so a function body or a string that holds a
/// line like `-- Name: x; Type: INDEX; …` is never cut. The dump is written with
/// `standard_conforming_strings = on` (pg_dump sets it): backslashes escape only in `E'…'`.
struct SQLLexState: Equatable {
    private enum Inside: Equatable {
        case nothing
        case string(escapes: Bool)
        case quotedName
        case dollar(tag: [UInt8])
        case blockComment(depth: Int)
    }

    private var inside = Inside.nothing

    /// Nothing open: a new line starts a new token.
    var atTopLevel: Bool { inside == .nothing }

    /// Reads one line (with its newline).
    mutating func read(_ line: [UInt8]) {
        var index = 0
        let count = line.count
        func at(_ offset: Int) -> UInt8? { index + offset < count ? line[index + offset] : nil }
        while index < count {
            let byte = line[index]
            switch inside {
            case .nothing:
                switch byte {
                case UInt8(ascii: "'"):
                    let previous = index > 0 ? line[index - 1] : 0
                    let beforePrevious = index > 1 ? line[index - 2] : 0
                    let escapes = (previous == UInt8(ascii: "E") || previous == UInt8(ascii: "e")) && !Self.isIdentifier(beforePrevious)
                    inside = .string(escapes: escapes)
                case UInt8(ascii: "\""):
                    inside = .quotedName
                case UInt8(ascii: "-") where at(1) == UInt8(ascii: "-"):
                    return  // a comment to the end of the line
                case UInt8(ascii: "/") where at(1) == UInt8(ascii: "*"):
                    inside = .blockComment(depth: 1)
                    index += 1
                case UInt8(ascii: "$") where !(index > 0 && Self.isIdentifier(line[index - 1])):
                    if let tag = Self.dollarTag(line, at: index) {
                        inside = .dollar(tag: tag)
                        index += tag.count - 1
                    }
                default:
                    break
                }
            case .string(let escapes):
                if escapes, byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "'") {
                    if at(1) == UInt8(ascii: "'") { index += 1 } else { inside = .nothing }
                }
            case .quotedName:
                if byte == UInt8(ascii: "\"") {
                    if at(1) == UInt8(ascii: "\"") { index += 1 } else { inside = .nothing }
                }
            case .dollar(let tag):
                if byte == UInt8(ascii: "$"), line[index...].starts(with: tag) {
                    inside = .nothing
                    index += tag.count - 1
                }
            case .blockComment(let depth):
                if byte == UInt8(ascii: "/"), at(1) == UInt8(ascii: "*") {
                    inside = .blockComment(depth: depth + 1)
                    index += 1
                } else if byte == UInt8(ascii: "*"), at(1) == UInt8(ascii: "/") {
                    inside = depth == 1 ? .nothing : .blockComment(depth: depth - 1)
                    index += 1
                }
            }
            index += 1
        }
    }

    /// `$$` or `$tag$` starting at `index`; nil for `$1` and a lone `$`.
    private static func dollarTag(_ line: [UInt8], at index: Int) -> [UInt8]? {
        var end = index + 1
        while end < line.count, line[end] != UInt8(ascii: "$") {
            let byte = line[end]
            let first = end == index + 1
            guard isIdentifier(byte), !(first && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) else { return nil }
            end += 1
        }
        guard end < line.count else { return nil }
        return Array(line[index...end])
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
    }
}
