/// A missing or malformed environment variable.
///
/// `description` is the single line printed before exiting with status 78. It names the
/// variable and what is expected; it never contains the value of a secret.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The environment variable at fault (for `_FILE` problems, the `_FILE` name).
    public let variable: String
    /// What is wrong and how to fix it, e.g. "must be a port number (1-65535), got \"abc\"".
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration error: \(variable) \(problem)" }
}
