import Backups
import Foundation
import LaterbaseCore

/// `/jobs`: the running or last console restore, with its progress; reloads itself every 2 s
/// while it runs.
struct JobPage: ConsoleView {
    static let template = "job"

    /// How much of the backup's SQL was fed, when its manifest tells the total.
    struct Share: Sendable {
        let total: Int64
        /// Fed bytes, at most `total` (a `<progress>` value).
        let done: Int64
        let totalText: String
        let percent: String
    }

    struct Job: Sendable {
        let file: String
        let newDatabase: String
        /// `host:port` the new library is made on.
        let server: String
        let started: String
        let fedText: String
        let share: Share?
        /// A point-in-time restore: its phase instead of bytes of SQL.
        let moment: Bool
        let phase: String?
        let elapsed: String
        let running: Bool
        let succeeded: Bool
        let cancelled: Bool
        let failure: String?
        let host: String
        let user: String
    }

    /// Nil before the first restore since the agent started.
    let job: Job?

    init(_ job: ConsoleRestoreJobs.Job?, zone: TimeZone, now: Date) {
        guard let job else {
            self.job = nil
            return
        }
        let fed = job.fedBytes
        let share = job.totalBytes.flatMap { total in
            total > 0 ? Share(total: total, done: min(fed, total), totalText: PageFormat.bytes(total),
                              percent: String(format: "%.0f", min(100, Double(fed) * 100 / Double(total)))) : nil
        }
        let failure: String? = if case .failed(let reason) = job.outcome { reason } else { nil }
        var moment = false
        if case .moment = job.source { moment = true }
        self.job = Job(file: job.source.label, newDatabase: job.newDatabase, server: job.target.host + ":" + String(job.target.port),
                       started: PageFormat.time(job.startedAt, zone: zone), fedText: PageFormat.bytes(fed), share: share,
                       moment: moment, phase: job.outcome == .running ? job.phase : nil,
                       elapsed: PageFormat.age((job.finishedAt ?? now).timeIntervalSince(job.startedAt)),
                       running: job.outcome == .running, succeeded: job.outcome == .succeeded, cancelled: job.outcome == .cancelled,
                       failure: failure, host: job.target.host, user: job.target.user)
    }
}
