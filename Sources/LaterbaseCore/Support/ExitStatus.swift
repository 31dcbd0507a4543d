/// Exit statuses shared by both executables (DESIGN.md).
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// A runtime failure: the server is down, a backup failed, a check did not pass.
    case failure = 1
    /// Wrong command-line usage.
    case usage = 64
    /// A missing or malformed environment variable (`EX_CONFIG`).
    case configuration = 78
}
