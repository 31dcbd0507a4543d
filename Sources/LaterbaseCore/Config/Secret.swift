/// A value that must never be printed: passwords and the like.
///
/// `description` and `debugDescription` are `****`, so a `Secret` that ends up in string
/// interpolation, a log line or a `dump` does not leak. Read the value with `reveal()`
/// only at the point where it is handed to libpq or written to a 0600 file.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself. Call sites are the only places a password leaves this type.
    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "****" }
    public var debugDescription: String { "****" }
}
