import ArgumentParser
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
        switch error {
        case let error as ConfigurationError: (oneLine(error.description + KnownVariables.misspelling(of: error.variable)), .configuration)
        case let error as CommandFailure: (oneLine(error.message), error.exitCode)
        default: (oneLine(error), .failure)
        }
    }
}

extension CommandErrors {
    /// Prints the error's one line to standard error and returns the exit status to end with.
    public static func report(_ error: any Error) -> Int32 {
        let (message, code) = classify(error)
        // A name in the message (a database, a project, --as) can hold terminal escapes.
        StandardError.line(TerminalText.escaped(message))
        return code.rawValue
    }

    /// Runs a command's body, turning what it throws into one line on standard error and the exit
    /// statuses of DESIGN.md (``classify(_:)``); ArgumentParser's own exits pass through. Every
    /// command of both programs runs in it.
    public static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            throw ExitCode(report(error))
        }
    }
}
