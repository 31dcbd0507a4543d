import Foundation

/// How every search finds a project by name — `list --project`, `list --project --at` and the
/// console's search: the name contains what was typed, in any case ("spot" finds "Spot 2" and
/// "Client spot"), and projects named exactly that (in any case) come first. An editor types part
/// of a name and expects the project itself at the top. Surrounding spaces of the query are ignored;
/// an empty query matches nothing.
public struct ProjectMatcher: Sendable {
    public let query: String

    /// The query's bytes lowercased, when it is ASCII.
    private let asciiQuery: [UInt8]?

    public init(_ query: String) {
        self.query = query.trimmingCharacters(in: .whitespaces)
        asciiQuery = self.query.utf8.allSatisfy { $0 < 0x80 } ? self.query.utf8.map(Self.lower) : nil
    }

    /// Whether `name` contains the query, in any case.
    public func matches(_ name: String) -> Bool {
        guard !query.isEmpty else { return false }
        // ASCII on both sides (most names): the same answer without Foundation's Unicode machinery,
        // which a search of many thousands of names would wait for.
        if let asciiQuery, let found = Self.asciiContains(name, asciiQuery) { return found }
        return name.range(of: query, options: .caseInsensitive) != nil
    }

    /// Whether the ASCII `name` contains `lowered` in any case; nil when `name` is not ASCII.
    private static func asciiContains(_ name: String, _ lowered: [UInt8]) -> Bool? {
        var name = name
        return name.withUTF8 { bytes -> Bool? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            guard bytes.count >= lowered.count else { return false }
            outer: for start in 0...(bytes.count - lowered.count) {
                for offset in 0..<lowered.count where lower(bytes[start + offset]) != lowered[offset] { continue outer }
                return true
            }
            return false
        }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }

    /// Whether `name` is the query, in any case.
    public func isExact(_ name: String) -> Bool {
        name.caseInsensitiveCompare(query) == .orderedSame
    }

    /// The matching `items`, exact names first, otherwise in their order.
    public func select<Item>(_ items: [Item], name: (Item) -> String) -> [Item] {
        let found = items.filter { matches(name($0)) }
        return found.filter { isExact(name($0)) } + found.filter { !isExact(name($0)) }
    }
}
