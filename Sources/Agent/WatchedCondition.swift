import Notify

/// One thing the agent watches between passes, as it is now: a problem to tell (open), or
/// nothing wrong (clear: its "resolved" is told if it was open). ``AgentWatch`` makes them;
/// ``AgentNotifications/apply(_:under:)`` tells them.
public struct WatchedCondition: Sendable, Equatable {
    /// The ledger's key: `backup-stale`, `undo-window`, `disk-space`, `standby-down:<slot>`, …
    public let key: String
    /// Nil: clear.
    public let problem: Notification?
    public let resolved: Notification

    public init(key: String, problem: Notification?, resolved: Notification) {
        self.key = key
        self.problem = problem
        self.resolved = resolved
    }
}
