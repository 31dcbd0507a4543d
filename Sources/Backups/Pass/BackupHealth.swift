import Foundation
import LaterbaseCore

/// The verdict of `backup-agent healthcheck`: a pure function of the agent's state, the clock
/// and the allowed age, so every transition is unit-tested.
public enum BackupHealth {
    public struct Verdict: Sendable, Equatable {
        public let healthy: Bool
        /// One line for the user.
        public let message: String

        public init(healthy: Bool, message: String) {
            self.healthy = healthy
            self.message = message
        }
    }

    /// Unhealthy when no backup ever succeeded, when the last pass failed for any database,
    /// or when some database of the last pass has its newest backup older than `maxAge`.
    /// Offsite copies that should have been made by now and were not.
    public struct OffsiteBacklog: Sendable, Equatable {
        public let count: Int
        public let lastError: String?
        public init(count: Int, lastError: String?) {
            self.count = count
            self.lastError = lastError
        }
    }

    /// Backups that are not offsite although an upload of them failed, or that are older than
    /// `grace` without ever being uploaded; from the listing and the ledger.
    public static func backlog(_ backups: [StoredBackup], ledger: UploadLedger, now: Date, grace: TimeInterval) -> OffsiteBacklog? {
        let behind = backups.filter { backup in
            guard backup.manifest != nil, !ledger.isUploaded(backup) else { return false }
            return ledger.entries[backup.relativePath]?.lastError != nil || now.timeIntervalSince(backup.time) > grace
        }
        guard !behind.isEmpty else { return nil }
        let error = behind.compactMap { ledger.entries[$0.relativePath]?.lastError }.first
        return OffsiteBacklog(count: behind.count, lastError: error)
    }

    /// Also unhealthy when `offsite` reports backups that are overdue for their offsite copy, and
    /// when `damaged` names backups whose file no longer matches its manifest (`folder/file`).
    public static func evaluate(_ state: AgentState, now: Date, maxAge: TimeInterval, offsite: OffsiteBacklog? = nil,
                                damaged: [String] = []) -> Verdict {
        guard let pass = state.lastPass else {
            return Verdict(healthy: false, message: "unhealthy: no backup pass has run yet")
        }
        if !pass.failed.isEmpty {
            let names = pass.failed.keys.sorted()
            let first = pass.failed[names[0]] ?? ""
            return Verdict(healthy: false, message: "unhealthy: the last pass failed for \(names.joined(separator: ", ")): \(first)")
        }
        if !damaged.isEmpty {
            let names = damaged.prefix(3).map(TerminalText.escaped).joined(separator: ", ") + (damaged.count > 3 ? ", …" : "")
            return Verdict(healthy: false, message: "unhealthy: \(damaged.count) damaged backup(s), kept but not counted by retention: \(names); `backup-agent verify --all` names them, restore another backup and delete them")
        }
        let successes = newestBackups(state)
        guard !successes.isEmpty else {
            return Verdict(healthy: false, message: "unhealthy: no successful backup yet")
        }
        if let stale = stale(state, now: now, maxAge: maxAge) {
            return Verdict(healthy: false, message: "unhealthy: \(stale)")
        }
        if let offsite {
            let reason = offsite.lastError.map { ": \($0)" } ?? " (no upload attempted yet)"
            return Verdict(healthy: false, message: "unhealthy: \(offsite.count) backup(s) not copied offsite\(reason)")
        }
        let newest = successes.values.max()!
        return Verdict(healthy: true, message: "healthy: \(successes.count) database(s) backed up, newest \(Self.age(now.timeIntervalSince(newest))) ago")
    }

    /// When each library of the last pass was last backed up. Only the databases of the last pass
    /// count: a library dropped or no longer in PRIMARY_DBS must not keep the agent unhealthy forever.
    public static func newestBackups(_ state: AgentState) -> [String: Date] {
        let current = Set(state.lastPass?.succeeded ?? [])
        return state.databases.filter { current.contains($0.key) }.compactMapValues(\.lastSuccess)
    }

    /// "the newest backup of A, B is 3h05m old (limit 2h10m)", naming the libraries of the last
    /// pass whose newest backup is older than `maxAge`; nil when none is.
    public static func stale(_ state: AgentState, now: Date, maxAge: TimeInterval) -> String? {
        let successes = newestBackups(state)
        let stale = successes.filter { now.timeIntervalSince($0.value) > maxAge }.keys.sorted()
        guard let oldest = stale.min(by: { successes[$0]! < successes[$1]! }), let time = successes[oldest] else { return nil }
        return "the newest backup of \(stale.joined(separator: ", ")) is \(age(now.timeIntervalSince(time))) old (limit \(age(maxAge)))"
    }

    /// The dumps' verdict followed by the undo window's: healthy when both are, one line.
    public static func combine(_ dumps: Verdict, _ undo: Verdict) -> Verdict {
        let healthy = dumps.healthy && undo.healthy
        var message = dumps.message
        if healthy || dumps.healthy { message = message.replacingOccurrences(of: "healthy: ", with: healthy ? "healthy: " : "unhealthy: ", options: .anchored) }
        return Verdict(healthy: healthy, message: message + "; " + undo.message)
    }

    /// `HEALTH_MAX_BACKUP_AGE`, or twice the schedule's longest interval plus ten minutes.
    public static func maxAge(settings: BackupSettings, schedule: CronSchedule, zone: TimeZone, now: Date) -> TimeInterval {
        if let configured = settings.healthMaxBackupAge { return TimeInterval(configured) }
        let interval = schedule.longestInterval(after: now, in: zone) ?? 3600
        return 2 * interval + 600
    }

    /// `3h05m`, `12m`, `40s`.
    public static func age(_ seconds: TimeInterval) -> String {
        let total = Int(max(0, seconds))
        if total >= 3600 { return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60) }
        if total >= 60 { return "\(total / 60)m" }
        return "\(total)s"
    }
}
