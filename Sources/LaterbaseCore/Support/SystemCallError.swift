import Foundation

/// A system call that failed, with `errno`'s text: one line, e.g. "bind() on 127.0.0.1 failed: Address already in use".
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let description: String

    /// `call` names it ("socket()", "bind() on 127.0.0.1"); the reason is read from `errno`.
    public init(_ call: String, errno code: Int32 = errno) {
        description = "\(call) failed: \(String(cString: strerror(code)))"
    }
}
