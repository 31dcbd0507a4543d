import Backups
import Foundation
import LaterbaseCore
import Logging
import Notify
import Restore

/// What `backup-agent run` tells the outside world about its passes: notifications through
/// Apprise (`NOTIFY_URLS`) when a library's backup fails and when it works again, and when a
/// pass cannot run at all or the verification finds damaged backups; the dead man's switch
/// (`PING_URL`) at the start and end of every pass. Every call returns at once or within the
/// ping's bound: nothing here can hold up or fail a pass.
public struct AgentNotifications: Sendable {
    public let notifier: Notifier?
    public let ping: PingClient?
    /// The bounds of the watch and the daily summary's time (nil: the defaults, no summary).
    public var settings: NotifySettings?

    /// `NOTIFY_URLS` as the console shows them: scheme and host only (``MaskedTarget``).
    public var targets: [String] { settings?.maskedTargets ?? [] }

    /// Nothing told, nothing pinged (NOTIFY_URLS and PING_URL unset).
    public static let off = AgentNotifications(notifier: nil, ping: nil)

    public init(notifier: Notifier?, ping: PingClient?, settings: NotifySettings? = nil) {
        self.notifier = notifier
        self.ping = ping
        self.settings = settings
    }

    /// From the settings: the notifier keeps its ledger in `BACKUP_DIR/.laterbase/notifications.json`
    /// and starts delivering what a previous run left pending.
    /// - Throws: ``ConfigurationError`` when `apprise` is missing.
    public static func make(_ settings: NotifySettings, layout: BackupLayout, logger: Logger,
                            retryDelays: [Duration] = Notifier.defaultRetryDelays) async throws(ConfigurationError) -> AgentNotifications {
        var notifier: Notifier?
        if let urls = settings.urls {
            let sender = try AppriseSender(urls: urls)
            let made = Notifier(ledgerFile: layout.stateDirectory + "/notifications.json", repeatSeconds: settings.repeatSeconds, logger: logger,
                                 retryDelays: retryDelays) {
                try await sender.send($0)
            }
            await made.resume()
            notifier = made
        }
        let ping = settings.pingURL.flatMap(PingURL.init).map { PingClient(url: $0, logger: logger) }
        return AgentNotifications(notifier: notifier, ping: ping, settings: settings)
    }

    func passStarted() async {
        await ping?.ping(.start)
    }

    /// Per library: a failure opens (or repeats) its problem, a success resolves it. A pass that
    /// reached no library (the databases could not be listed) is the problem "the pass failed",
    /// resolved by the next pass that lists them; `libraries`: those backed up before, named in it.
    func passFinished(_ pass: AgentState.Pass, libraries: [String]) async {
        var failed = pass.failed
        if let reason = failed.removeValue(forKey: AgentState.Pass.allDatabases) {
            await passFailed(reason, libraries: libraries)
            return
        }
        if let notifier {
            await notifier.resolved(Self.passKey, Notification(title: "Laterbase: backup passes run again", body: "The backup pass at \(UTCFormat.message(pass.startedAt)) reached the Resolve server.", kind: .success))
            for (library, reason) in failed.sorted(by: { $0.key < $1.key }) {
                await notifier.problem(Self.libraryKey(library), Notification(
                    title: "Laterbase: backup of \(library) failed",
                    body: "The backup of the Resolve library \(library) failed at \(UTCFormat.message(pass.startedAt)): \(reason). Its older backups are kept; nothing is pruned until a pass succeeds.",
                    kind: .failure))
            }
            for library in pass.succeeded {
                await notifier.resolved(Self.libraryKey(library), Notification(
                    title: "Laterbase: backup of \(library) works again",
                    body: "The Resolve library \(library) was backed up at \(UTCFormat.message(pass.startedAt)).", kind: .success))
            }
        }
        if failed.isEmpty {
            await ping?.ping(.success)
        } else {
            let reasons = failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
            await ping?.ping(.failure("backup failed for \(failed.count) of \(failed.count + pass.succeeded.count) libraries\n\(reasons)"))
        }
    }

    /// The pass reached no library (the Resolve server unreachable, the lock held).
    func passFailed(_ reason: String, libraries: [String]) async {
        let which = libraries.isEmpty ? "No library was backed up" : "Not backed up: \(libraries.joined(separator: ", "))"
        await notifier?.problem(Self.passKey, Notification(
            title: "Laterbase: the backup pass failed",
            body: "The backup pass reached no library: \(reason). \(which); their older backups are kept.", kind: .failure))
        await ping?.ping(.failure(reason))
    }

    /// After each pass with offsite copies on: backups overdue for their copy to `remote`
    /// (`backlog`), or none any more.
    func offsite(_ backlog: BackupHealth.OffsiteBacklog?, remote: String) async {
        guard let notifier else { return }
        guard let backlog else {
            await notifier.resolved(Self.offsiteKey, Notification(title: "Laterbase: offsite copies caught up", body: "Every backup is copied to \(remote) again.", kind: .success))
            return
        }
        let reason = backlog.lastError.map { "; the last error: \($0)" } ?? " (no copy attempted yet)"
        await notifier.problem(Self.offsiteKey, Notification(
            title: "Laterbase: backups not copied offsite",
            body: "\(backlog.count) backup(s) are not copied to \(remote)\(reason). Local backups go on; the next pass tries again.",
            kind: .warning))
    }

    /// After `VERIFY_SCHEDULE`'s `verify --all`.
    func verified(damaged: [String]) async {
        guard let notifier else { return }
        if damaged.isEmpty {
            await notifier.resolved(Self.damagedKey, Notification(title: "Laterbase: no damaged backups", body: "Every kept backup matches its manifest again.", kind: .success))
        } else {
            await notifier.problem(Self.damagedKey, Notification(
                title: "Laterbase: \(damaged.count) damaged backup(s)",
                body: "These backups no longer match their manifests and are not counted by retention: \(damaged.prefix(10).joined(separator: ", "))\(damaged.count > 10 ? ", …" : ""). Check the disk; restore from another backup or the offsite copy.",
                kind: .warning))
        }
    }

    /// After a scheduled disaster drill: a failure opens the problem, a pass resolves it.
    public func drilled(_ record: DrillRecord) async {
        guard let notifier else { return }
        if record.passed {
            await notifier.resolved(Self.drillKey, Notification(title: "Laterbase: the disaster drill passes again", body: record.summary, kind: .success))
        } else {
            await notifier.problem(Self.drillKey, Notification(
                title: "Laterbase: the disaster drill failed",
                body: "Restoring from the offsite copies alone did not work: \(record.summary). The offsite copies may not bring the libraries back after a loss of the backup host; see the log of backup-agent and run `backup-agent drill` to try again.",
                kind: .failure))
        }
    }

    /// Tells each condition that changed: an open one as a problem (or its repeat), a clear one as
    /// resolved if it was open. An open problem under one of `prefixes` that `conditions` no longer
    /// lists (its slot dropped, its standby disconnected) is over.
    func apply(_ conditions: [WatchedCondition], under prefixes: [String] = []) async {
        guard let notifier else { return }
        for condition in conditions {
            if let problem = condition.problem {
                await notifier.problem(condition.key, problem)
            } else {
                await notifier.resolved(condition.key, condition.resolved)
            }
        }
        let listed = Set(conditions.map(\.key))
        for (key, open) in await notifier.openProblems where !listed.contains(key) && prefixes.contains(where: { key.hasPrefix($0) }) {
            let what = open.title.replacingOccurrences(of: "Laterbase: ", with: "", options: .anchored)
            await notifier.resolved(key, Notification(title: "Laterbase: over: \(what)", body: "This no longer applies: what it was about is gone.", kind: .success))
        }
    }

    static let passKey = "backup-pass"
    static let damagedKey = "damaged-backups"
    static let offsiteKey = "offsite-behind"
    static let drillKey = "drill-failed"
    static func libraryKey(_ library: String) -> String { "backup-failed:\(library)" }
}
