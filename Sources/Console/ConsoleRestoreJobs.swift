import Agent
import Backups
import Foundation
import LaterbaseCore
import Logging
import Notify
import Restore
import Synchronization

/// The console's restore jobs: one at a time, run in the background so closing the page does
/// not stop it, cancellable (the new database is dropped again, as after any failed restore).
/// The job is the agent's own restore pipeline (``NewLibrary`` from ``DumpSource``): a NEW
/// database, UTF8 from template0, never over an existing name. A job that ends is told once
/// through the notifier (`NOTIFY_URLS`), which only records it: delivery never holds up the job.
actor ConsoleRestoreJobs {
    enum Outcome: Sendable, Equatable {
        case running, succeeded, failed(String), cancelled
    }

    /// What a job restores: a backup, or a library as it was at a moment (the undo window).
    enum Source: Sendable {
        case backup(StoredBackup)
        case moment(database: String, at: Date)

        /// The backup's file name, or the same as ``label``.
        var shortLabel: String {
            if case .backup(let backup) = self { return backup.file }
            return label
        }

        /// `Demo Library/Demo Library_backup_….sql.gz`, or `Demo Library as it was at 2026-11-24 14:34:59 UTC`.
        var label: String {
            switch self {
            case .backup(let backup): backup.relativePath
            case .moment(let database, let time): "\(database) as it was at \(UTCFormat.message(time))"
            }
        }
    }

    struct Job: Sendable {
        let id: Int
        let source: Source
        let newDatabase: String
        /// The server the new library is made on.
        let target: ConnectionParameters
        let startedAt: Date
        /// Bytes of SQL in the backup (from its manifest); nil without one.
        let totalBytes: Int64?
        var fedBytes: Int64
        /// What a point-in-time restore is doing now (nil for a backup: the bytes tell).
        var phase: String?
        var finishedAt: Date?
        var outcome: Outcome
    }

    private var job: Job?
    private var task: Task<Void, Never>?
    private let progress = ProgressCounter()
    private var nextID = 1
    private let runtime: AgentRuntime
    private let logger: Logger
    private let notifier: Notifier?
    private let onFinish: @Sendable (String) -> Void

    /// - Parameters:
    ///   - notifier: told when a job ends (nil: notifications off).
    ///   - onFinish: told `succeeded`, `failed` or `cancelled` when a job ends (metrics).
    init(runtime: AgentRuntime, logger: Logger, notifier: Notifier? = nil, onFinish: @escaping @Sendable (String) -> Void = { _ in }) {
        self.runtime = runtime
        self.logger = logger
        self.notifier = notifier
        self.onFinish = onFinish
    }

    /// The current or last job, with its progress now.
    func current() -> Job? {
        guard var job else { return nil }
        if job.outcome == .running {
            job.fedBytes = progress.bytes.load(ordering: .relaxed)
            job.phase = progress.phase.withLock { $0 }
        }
        return job
    }

    var isRunning: Bool { job?.outcome == .running }

    /// Checks the name on the target server, then starts the restore in the background.
    /// - Throws: ``ConsoleProblem`` when a job is running, or the refusal of ``RestoreTarget/newLibrary(named:)``.
    func start(_ source: Source, as newDatabase: String) async throws -> Job {
        if let job, job.outcome == .running {
            throw ConsoleProblem("a restore is running (\(job.source.label) as \"\(job.newDatabase)\"); one restore at a time: wait for it or cancel it")
        }
        let target = runtime.restoreTarget()
        let library = try await target.newLibrary(named: newDatabase)
        if isRunning { throw ConsoleProblem("another restore started meanwhile; one restore at a time") }
        progress.bytes.store(0, ordering: .relaxed)
        progress.phase.withLock { $0 = nil }
        var total: Int64?
        if case .backup(let backup) = source { total = backup.manifest?.rawBytes }
        let started = Job(id: nextID, source: source, newDatabase: newDatabase, target: target.server,
                          startedAt: Date(), totalBytes: total, fedBytes: 0, phase: nil, finishedAt: nil, outcome: .running)
        nextID += 1
        job = started
        logger.notice("console: restore started", metadata: [LogKey.file: "\(source.label)", LogKey.database: "\(newDatabase)"])
        let counter = progress
        task = Task {
            let outcome: Outcome
            do {
                switch source {
                case .backup(let backup):
                    try await library.restore(from: DumpSource(backup) { counter.bytes.store($0, ordering: .relaxed) })
                case .moment(let database, let time):
                    var restore = runtime.pointInTimeRestore()
                    restore.phase = { phase in counter.phase.withLock { $0 = phase } }
                    try await library.restore(from: PointInTimeSource(restore: restore, database: database, time: time))
                }
                outcome = .succeeded
            } catch is CancellationError {
                outcome = .cancelled
            } catch {
                outcome = Task.isCancelled ? .cancelled : .failed(oneLine(error))
            }
            if let finished = self.finish(started.id, outcome), let notifier = self.notifier {
                // Only recorded: the notifier delivers on a task of its own.
                await notifier.tell(Self.notification(finished))
            }
        }
        return started
    }

    /// Cancels the running job (its new database is dropped); no effect when none runs.
    func cancel() {
        guard isRunning else { return }
        logger.notice("console: restore cancelled", metadata: [LogKey.database: "\(job?.newDatabase ?? "")"])
        task?.cancel()
    }

    /// Cancels the running job and waits until it has cleaned up (graceful shutdown).
    func shutdown() async {
        cancel()
        await task?.value
    }

    /// What a notification says about a job that ended.
    static func notification(_ job: Job) -> Notify.Notification {
        let what = "console restore of \(job.source.shortLabel) as \(job.newDatabase)"
        let server = "\(job.target.host):\(job.target.port)"
        switch job.outcome {
        case .succeeded:
            return Notify.Notification(title: "Laterbase: \(what) finished",
                                body: "\(job.source.label) was restored from the console into the new library \(job.newDatabase) on \(server); open it in DaVinci Resolve (Project Libraries → Add Project Library → Connect) under that name.",
                                kind: .success)
        case .failed(let reason):
            return Notify.Notification(title: "Laterbase: \(what) failed",
                                body: "The restore of \(job.source.label) into \(job.newDatabase) on \(server), started from the console, failed: \(reason). The half-made library was dropped again; the backups are unchanged.",
                                kind: .failure)
        case .cancelled, .running:
            return Notify.Notification(title: "Laterbase: \(what) cancelled",
                                body: "The restore of \(job.source.label) into \(job.newDatabase) on \(server) was cancelled; the half-made library was dropped again.",
                                kind: .info)
        }
    }

    /// Records the job's outcome; the job as it ended, nil when another job has replaced it.
    @discardableResult
    private func finish(_ id: Int, _ outcome: Outcome) -> Job? {
        guard var finishedJob = job, finishedJob.id == id else { return nil }
        finishedJob.fedBytes = progress.bytes.load(ordering: .relaxed)
        finishedJob.finishedAt = Date()
        finishedJob.outcome = outcome
        job = finishedJob
        switch outcome {
        case .succeeded:
            onFinish("succeeded")
            logger.notice("console: restore finished", metadata: [LogKey.database: "\(finishedJob.newDatabase)"])
        case .failed(let reason):
            onFinish("failed")
            logger.error("console: restore failed", metadata: [LogKey.database: "\(finishedJob.newDatabase)", LogKey.error: "\(reason)"])
        case .cancelled:
            onFinish("cancelled")
        case .running:
            break
        }
        task = nil
        return finishedJob
    }
}

/// Bytes fed so far, written by the restore's feed and read by the page.
final class ProgressCounter: Sendable {
    let bytes = Atomic<Int64>(0)
    let phase = Mutex<String?>(nil)
}
