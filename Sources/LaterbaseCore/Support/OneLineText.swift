/// An error's text on one line (newlines become spaces): for messages, log values and the
/// state file, which hold one line per problem.
public func oneLine(_ error: any Error) -> String {
    "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
}
