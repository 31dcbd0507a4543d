import LaterbaseCore

/// An offsite copy that rclone reported done but that does not check out on the remote.
/// (rclone's own failures are ``ChildProcessError``s with its message.)
public typealias OffsiteError = CodedError<OffsiteErrorCode>

/// What went wrong, for ``OffsiteError``.
public enum OffsiteErrorCode: String, Sendable {
    /// The copied file cannot be listed on the remote.
    case notListed
    /// Its size differs from the local file.
    case sizeMismatch
    /// Its SHA-256 or MD5 differs from the local file.
    case hashMismatch
}
