/// A failure of one concern of Laterbase's library code: an opaque ``code`` that callers and
/// tests decide by, and ``description``, the one line for people with what to do. The
/// description never holds a secret or row data. Each concern names its codes and its type:
/// ``BackupError``, ``RestoreError``, ``OffsiteError``, ``StandbyError``. Commands turn any of
/// them into that line on standard error and exit status 1.
public struct CodedError<Code: Hashable & Sendable>: Error, CustomStringConvertible, Sendable {
    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
