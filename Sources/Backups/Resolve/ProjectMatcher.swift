import Foundation

/// How every search finds a project by name — `list --project`, `list --project --at` and the
/// console's search: the name contains what was typed, in any case ("spot" finds "Spot 2" and
/// "Client spot"), and projects named exactly that (in any case) come first. An editor types part
/// of a name and expects the project itself at the top. Surrounding spaces of the query are ignored;
/// an empty query matches nothing.
public struct ProjectMatcher: Sendable {
    public let query: String

    public init(_ query: String) {
        self.query = query.trimmingCharacters(in: .whitespaces)
    }

    /// Whether `name` contains the query, in any case.
    public func matches(_ name: String) -> Bool {
        !query.isEmpty && name.range(of: query, options: .caseInsensitive) != nil
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
