import Foundation

/// The outcome of one preflight check of the primary, printed by `check-primary` as
/// `PASS`/`FAIL`/`SKIP` and used by `run` to refuse a clone.
public struct PreflightCheck: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case pass = "PASS"
        case fail = "FAIL"
        /// Could not be checked because an earlier check failed (no connection).
        case skip = "SKIP"
    }

    /// A stable short name: `connect`, `version`, `role`, `wal_level`, `wal_senders`, `replication`, `slot`.
    public let name: String
    public let outcome: Outcome
    /// What was found, one line.
    public let detail: String
    /// The exact fix when the check failed.
    public let fix: String?

    public init(_ name: String, _ outcome: Outcome, _ detail: String, fix: String? = nil) {
        self.name = name
        self.outcome = outcome
        self.detail = detail
        self.fix = fix
    }

    /// `FAIL role: … ; fix: …` on one line.
    public var line: String {
        let base = "\(outcome.rawValue) \(name): \(detail)"
        return fix.map { "\(base); fix: \($0)" } ?? base
    }
}
