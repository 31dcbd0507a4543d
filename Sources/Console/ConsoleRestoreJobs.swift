import Agent
import Backups
import Foundation
import LaterbaseCore
import Logging
import Restore
import Synchronization

/// The console's restore jobs: one at a time, run in the background so closing the page does
/// not stop it, cancellable (the new database is dropped again, as after any failed restore).
/// The job is the agent's own restore pipeline (``NewLibrary`` from ``DumpSource``): a NEW
/// database, UTF8 from template0, never over an existing name.
actor ConsoleRestoreJobs {
    enum Outcome: Sendable, Equatable {
        case running, succeeded, failed(String), cancelled
    }

    struct Job: Sendable {
        let id: Int
        let backup: StoredBackup
        let newDatabase: String
        /// The server the new library is made on.
        let target: ConnectionParameters
        let startedAt: Date
        /// Bytes of SQL in the backup (from its manifest); nil without one.
        let totalBytes: Int64?
        var fedBytes: Int64
        var finishedAt: Date?
        var outcome: Outcome
    }

    private var job: Job?
    private var task: Task<Void, Never>?
    private let progress = ProgressCounter()
    private var nextID = 1
    private let runtime: AgentRuntime
    private let logger: Logger
    private let onFinish: @Sendable (String) -> Void

    /// - Parameter onFinish: told `succeeded`, `failed` or `cancelled` when a job ends (metrics).
    init(runtime: AgentRuntime, logger: Logger, onFinish: @escaping @Sendable (String) -> Void = { _ in }) {
        self.runtime = runtime
        self.logger = logger
        self.onFinish = onFinish
    }

    /// The current or last job, with its progress now.
    func current() -> Job? {
        guard var job else { return nil }
        if job.outcome == .running { job.fedBytes = progress.bytes.load(ordering: .relaxed) }
        return job
    }

    var isRunning: Bool { job?.outcome == .running }

    /// Checks the name on the target server, then starts the restore in the background.
    /// - Throws: ``ConsoleProblem`` when a job is running, or the refusal of ``RestoreTarget/newLibrary(named:)``.
    func start(_ backup: StoredBackup, as newDatabase: String) async throws -> Job {
        if let job, job.outcome == .running {
            throw ConsoleProblem("a restore is running (\(job.backup.file) as \"\(job.newDatabase)\"); one restore at a time: wait for it or cancel it")
        }
        let target = runtime.restoreTarget()
        let library = try await target.newLibrary(named: newDatabase)
        if isRunning { throw ConsoleProblem("another restore started meanwhile; one restore at a time") }
        progress.bytes.store(0, ordering: .relaxed)
        let started = Job(id: nextID, backup: backup, newDatabase: newDatabase, target: target.server,
                          startedAt: Date(), totalBytes: backup.manifest?.rawBytes, fedBytes: 0, finishedAt: nil, outcome: .running)
        nextID += 1
        job = started
        logger.notice("console: restore started", metadata: [LogKey.file: "\(backup.relativePath)", LogKey.database: "\(newDatabase)"])
        let counter = progress
        task = Task {
            let outcome: Outcome
            do {
                try await library.restore(from: DumpSource(backup) { counter.bytes.store($0, ordering: .relaxed) })
                outcome = .succeeded
            } catch is CancellationError {
                outcome = .cancelled
            } catch {
                outcome = Task.isCancelled ? .cancelled : .failed(oneLine(error))
            }
            self.finish(started.id, outcome)
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

    private func finish(_ id: Int, _ outcome: Outcome) {
        guard var finishedJob = job, finishedJob.id == id else { return }
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
    }
}

/// Bytes fed so far, written by the restore's feed and read by the page.
final class ProgressCounter: Sendable {
    let bytes = Atomic<Int64>(0)
}
