import Foundation

/// A failure a command reports to the user as one line before exiting with `exitCode`.
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let exitCode: ExitStatus

    public init(_ message: String, exitCode: ExitStatus = .failure) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// Maps any error a command throws to its one-line message and exit status: configuration
/// errors → 78, command failures → their own status, everything else → 1.
public enum CommandErrors {
    public static func classify(_ error: any Error) -> (message: String, code: ExitStatus) {
        let (text, code): (String, ExitStatus)
        switch error {
        case let error as ConfigurationError: (text, code) = (error.description, .configuration)
        case let error as CommandFailure: (text, code) = (error.message, error.exitCode)
        default: (text, code) = ("\(error)", .failure)
        }
        return (text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "), code)
    }
}

extension CommandErrors {
    /// Prints the error's one line to standard error and returns the exit status to end with.
    public static func report(_ error: any Error) -> Int32 {
        let (message, code) = classify(error)
        StandardError.line(message)
        return code.rawValue
    }
}
