import Foundation

/// An error's text on one line (each line trimmed, joined by spaces): the one renderer of an
/// error for people — command failures, log values, the state file, the console — which hold
/// one line per problem.
public func oneLine(_ error: any Error) -> String { oneLine("\(error)") }

/// `text` on one line, as ``oneLine(_:)-(any Error)`` renders an error.
public func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
}
