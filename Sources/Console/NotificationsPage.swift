import Agent
import Foundation
import Notify

/// `/notifications`: who is told (`NOTIFY_URLS`, masked to scheme and host), the dead man's
/// switch (`PING_URL`, its host), the problems open now and the last 50 notifications with how
/// their delivery went, newest first; a button sends a test notification. With `NOTIFY_URLS`
/// unset the page says so and how to turn it on, and has no button.
struct NotificationsPage: ConsoleView {
    static let template = "notifications"

    struct Problem: Sendable {
        let title: String
        let since: String
        let lastTold: String
    }

    struct Event: Sendable {
        let time: String
        let kind: String
        let title: String
        /// `sent`, `pending` or `failed`, with its look.
        let outcome: Mark
        /// The last delivery failure, one line (also while a retry is pending).
        let error: String?
    }

    /// Present with `NOTIFY_URLS` set.
    struct On: Sendable {
        let targets: [String]
        let targetCount: String
        let repeatText: String
        let problems: [Problem]
        let hasProblems: Bool
        let events: [Event]
        let hasEvents: Bool
    }

    let on: On?
    /// The ping monitor's host; nil without `PING_URL`.
    let pingHost: String?

    /// What the notifier holds now, read by ``read(_:zone:)``.
    struct State: Sendable {
        let openProblems: [NotificationLedger.OpenProblem]
        let recent: [NotificationLedger.Record]
        let repeatSeconds: Int
    }

    static func read(_ notifications: AgentNotifications) async -> State? {
        guard let notifier = notifications.notifier else { return nil }
        return State(openProblems: Array(await notifier.openProblems.values), recent: await notifier.recent,
                     repeatSeconds: notifier.repeatSeconds)
    }

    /// True when a delivery is still pending (the page then reloads itself).
    static func anyPending(_ state: State?) -> Bool {
        state?.recent.contains { $0.outcome == .pending } ?? false
    }

    init(_ notifications: AgentNotifications, state: State?, zone: TimeZone) {
        pingHost = notifications.ping?.url.host
        guard let state else {
            on = nil
            return
        }
        let problems = state.openProblems.sorted { ($0.since, $0.title) < ($1.since, $1.title) }.map {
            Problem(title: $0.title, since: PageFormat.time($0.since, zone: zone), lastTold: PageFormat.time($0.lastTold, zone: zone))
        }
        let events = state.recent.reversed().map { record in
            let outcome: Mark = switch record.outcome {
            case .sent: .ok("sent")
            case .pending: .muted(record.attempts == 0 ? "pending" : "pending (\(record.attempts) attempt(s) failed, retrying)")
            case .failed: .bad("failed")
            }
            return Event(time: PageFormat.time(record.at, zone: zone), kind: record.notification.kind.rawValue,
                         title: record.notification.title, outcome: outcome, error: record.outcome == .sent ? nil : record.error)
        }
        let targets = notifications.targets
        on = On(targets: targets, targetCount: targets.count == 1 ? "1 target" : "\(targets.count) targets",
                repeatText: Self.interval(state.repeatSeconds), problems: problems, hasProblems: !problems.isEmpty,
                events: events, hasEvents: !events.isEmpty)
    }

    /// `24 h`, `30 min`, `7 d`: `NOTIFY_REPEAT` as it is usually written.
    static func interval(_ seconds: Int) -> String {
        if seconds % 86400 == 0, seconds >= 2 * 86400 { return "\(seconds / 86400) d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}
