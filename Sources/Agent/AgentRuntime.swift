import Backups
import Foundation
import LaterbaseCore
import Logging
import Notify
import Restore
import UndoWindow

/// The backup agent's pieces, built once from its settings — backup folder layout, time zone,
/// schedule, retention policy, offsite remote — and what each command does with them, so every
/// command of `backup-agent` is one call. The rule "nothing is pruned after a failed pass" lives
/// here (``retentionBlocker(_:)``) for the pass's own retention and for `prune` alike.
public struct AgentRuntime: Sendable {
    public let settings: BackupSettings
    /// The undo window: WAL archive and base backups (`WAL_ARCHIVE`, `WAL_SLOT`, …).
    public let archive: ArchiveSettings
    public let schedule: CronSchedule
    /// `VERIFY_SCHEDULE`: when `run` re-reads every kept backup (``verifyAll()``).
    public let verifySchedule: CronSchedule
    /// `DRILL_SCHEDULE` (nil: off): when `run` restores from the remote alone as a drill.
    public let drillSchedule: CronSchedule?
    public let zone: TimeZone
    public let layout: BackupLayout
    public let policy: RetentionPolicy
    /// Nil when offsite copies are off.
    public let remote: RcloneRemote?
    public let logger: Logger

    public init(settings: BackupSettings, archive: ArchiveSettings, schedule: ScheduleSettings, logger: Logger) {
        self.settings = settings
        self.archive = archive
        self.schedule = schedule.schedule
        self.verifySchedule = schedule.verifySchedule
        self.drillSchedule = schedule.drillSchedule
        self.zone = schedule.zone
        self.layout = BackupLayout(root: settings.backupDirectory)
        self.policy = RetentionPolicy(settings: settings)
        self.remote = RcloneRemote(settings: settings)
        self.logger = logger
    }

    /// One pass (only `database` when given), then retention and offsite copies: what
    /// `backup-agent backup` and each firing of `run` do.
    /// - Parameter lockTimeout: how long to wait for another agent's pass.
    /// - Throws: what ``BackupPass/run(only:now:)`` throws when the pass cannot start, or
    ///   `CancellationError`.
    public func backUp(only database: String? = nil, lockTimeout: Duration) async throws -> AgentState.Pass {
        let pass = try await BackupPass(settings: settings, lockTimeout: lockTimeout, logger: logger).run(only: database)
        try Task.checkCancellation()
        await afterPass()
        // The undo window's offsite copy, outside the BACKUP_DIR lock (run also copies it every
        // few seconds; when that sync is running, this one returns at once).
        await offsiteArchiveSync?.run()
        // What a restore killed outright (SIGKILL, OOM, a reboot) left on the Resolve server.
        await restoreTarget().removeAbandoned()
        return pass
    }

    /// The long-running supervisor of `backup-agent run`: passes on `BACKUP_SCHEDULE`, and
    /// ``verifyAll()`` on `VERIFY_SCHEDULE`. Each pass and each verification is told to
    /// `notifications` (``AgentNotifications``); with `NOTIFY_URLS` also the watch every five
    /// minutes (``watch(telling:now:)``) and the daily summary at `NOTIFY_DAILY_SUMMARY`.
    public func supervisor(notifications: AgentNotifications = .off) -> BackupSupervisor {
        var supervisor = BackupSupervisor(schedule: schedule, zone: zone, runOnStart: settings.backupOnStart, logger: logger) {
            try await backUp(telling: notifications)
        }
        supervisor.scheduled.append(.init("verification of every backup", schedule: verifySchedule) {
            let outcomes = try await verifyAll()
            await notifications.verified(damaged: outcomes.filter { $0.verdict.damage != nil }.map(\.backup.relativePath))
        })
        if remote != nil, let drillSchedule {
            supervisor.scheduled.append(.init("disaster drill from the remote", schedule: drillSchedule) {
                await notifications.drilled(try await drill())
            })
        }
        if let notifier = notifications.notifier {
            var watch = BackupSupervisor.ScheduledWork("watch", schedule: Self.watchSchedule) { await self.watch(telling: notifications) }
            watch.logLevel = .debug
            supervisor.scheduled.append(watch)
            if let summary = notifications.settings?.dailySummary {
                supervisor.scheduled.append(.init("daily summary", schedule: summary) {
                    await notifier.tell(await dailySummary(openProblems: Array(await notifier.openProblems.values)))
                })
            }
        }
        return supervisor
    }

    /// Every five minutes.
    static let watchSchedule = try! CronSchedule("*/5 * * * *")

    /// A scheduled pass: ``backUp(only:lockTimeout:)`` with its start, outcome and failures told
    /// to `notifications` (pings to `PING_URL`; notifications when a library fails or works again).
    public func backUp(telling notifications: AgentNotifications) async throws {
        await notifications.passStarted()
        let pass: AgentState.Pass
        do {
            pass = try await backUp(lockTimeout: .seconds(3600))
        } catch let error where !(error is CancellationError) {
            await notifications.passFailed(oneLine(error), libraries: knownLibraries)
            throw error
        }
        await notifications.passFinished(pass, libraries: knownLibraries)
        let backups = StoredBackup.all(in: layout)
        if let remote {
            await notifications.offsite(offsiteBacklog(backups, now: Date()), remote: "\(remote.name):\(remote.path)")
        }
        // Retention verifies what it would count; what it found damaged is told now, not at the next VERIFY_SCHEDULE.
        await notifications.verified(damaged: BackupVerifier.damaged(backups, in: VerificationCache.load(layout)).map(\.backup.relativePath))
    }

    /// At `run`'s start: offsite copies to a remote that is not an rclone `crypt` remote are a
    /// warning, or with `OFFSITE_REQUIRE_ENCRYPTION=on` a configuration error (exit 78).
    public func checkOffsiteEncryption() async throws(ConfigurationError) {
        guard let remote, let unencrypted = await remote.unencrypted() else { return }
        if remote.requireEncryption {
            throw ConfigurationError(variable: "OFFSITE_REQUIRE_ENCRYPTION", problem: "is on, but \(unencrypted)")
        }
        logger.warning("offsite copies are not encrypted", metadata: [LogKey.error: "\(unencrypted)"])
    }

    /// Which of `backups` are overdue for their offsite copy (``BackupHealth/backlog(_:ledger:now:grace:)``
    /// with the healthcheck's allowed age); nil when none are, or offsite copies are off.
    func offsiteBacklog(_ backups: [StoredBackup], now: Date) -> BackupHealth.OffsiteBacklog? {
        guard remote != nil else { return nil }
        let maxAge = BackupHealth.maxAge(settings: settings, schedule: schedule, zone: zone, now: now)
        return BackupHealth.backlog(backups, ledger: UploadLedger.load(layout), now: now, grace: maxAge)
    }

    /// The libraries backed up so far (the state file), for messages about a pass that reached none.
    var knownLibraries: [String] { (try? AgentState.load(from: layout.stateFile))?.databases.keys.sorted() ?? [] }

    /// `verify --all` (and each firing of `VERIFY_SCHEDULE`): every kept backup read again, each
    /// file once (hard-linked names together), a full gzip decode and its SHA-256 against each
    /// name's manifest; recorded in `.laterbase/verified.json`, where retention, `list` and
    /// `healthcheck` find damaged backups.
    public func verifyAll() async throws -> [BackupVerifier.Outcome] {
        let backups = StoredBackup.all(in: layout)
        logger.info("verifying every backup", metadata: ["backups": "\(backups.count)"])
        let outcomes = try await BackupVerifier(layout: layout, logger: logger).verify(backups, fullCheck: true)
        let damaged = outcomes.filter { $0.verdict.damage != nil }.count
        logger.info("verified every backup", metadata: ["backups": "\(outcomes.count)", "damaged": "\(damaged)"])
        return outcomes
    }

    /// Where restores go: the primary, or `host`/`port` when given (`restore`, `verify --restore-test`, the console).
    public func restoreTarget(host: String? = nil, port: Int? = nil) -> RestoreTarget {
        var server = settings.primary.connection()
        if let host { server.host = host }
        if let port { server.port = port }
        return RestoreTarget(server: server, logger: logger, jobs: settings.restoreJobs)
    }

    /// What `prune` would do now, without doing it (it may verify backups not verified yet).
    public func prunePlan() async -> [Pruner.Line] { await pruner.plan() }

    /// Retention now (`backup-agent prune`): what was removed, the damaged backups kept, and
    /// what in the library folders was left alone.
    /// - Throws: ``BackupError`` `.lockHeld`, `.stateUnreadable`, or `.retentionBlocked` after a failed pass.
    public func prune() async throws -> Pruner.Outcome {
        let lock = try await DirectoryLock.acquire(layout.lockFile, folder: layout.root, timeout: .seconds(2))
        defer { lock.release() }
        if let reason = Self.retentionBlocker(try AgentState.load(from: layout.stateFile)) {
            throw BackupError(.retentionBlocked, reason)
        }
        return await pruner.apply()
    }

    /// The healthcheck's verdict now.
    /// - Throws: ``BackupError`` `.stateUnreadable` when the state file cannot be read.
    public func health(now: Date = Date()) throws -> BackupHealth.Verdict {
        let state: AgentState
        do {
            state = try AgentState.load(from: layout.stateFile)
        } catch {
            throw BackupError(.stateUnreadable, "unhealthy: \(oneLine(error))")
        }
        let maxAge = BackupHealth.maxAge(settings: settings, schedule: schedule, zone: zone, now: now)
        let backups = StoredBackup.all(in: layout)
        let offsite = offsiteBacklog(backups, now: now)
        let damaged = BackupVerifier.damaged(backups, in: VerificationCache.load(layout)).map(\.backup.relativePath)
        return BackupHealth.evaluate(state, now: now, maxAge: maxAge, offsite: offsite, damaged: damaged)
    }

    /// Why retention must not run: the last recorded pass failed for a library (a broken server
    /// must never cost old backups). Nil when it may run. A pass over one library (`--db`) is
    /// recorded merged into the last full pass, so another library's failure still counts.
    public static func retentionBlocker(_ state: AgentState?) -> String? {
        guard let failed = state?.lastPass?.failed, !failed.isEmpty else { return nil }
        return "the last backup pass failed for \(failed.keys.sorted().joined(separator: ", ")); nothing is pruned until a pass succeeds"
    }

    private var pruner: Pruner { Pruner(layout: layout, policy: policy, zone: zone, remote: remote, logger: logger) }

    /// Under the `BACKUP_DIR` lock: retention unless ``retentionBlocker(_:)`` says no, then
    /// offsite copies of what is left (also after a failed pass: what succeeded should leave the
    /// building). Failures are logged, never thrown.
    private func afterPass() async {
        let lock: DirectoryLock
        do {
            lock = try await DirectoryLock.acquire(layout.lockFile, folder: layout.root, timeout: .seconds(600))
        } catch {
            logger.error("retention and offsite copies did not run", metadata: [LogKey.error: "\(error)"])
            return
        }
        defer { lock.release() }
        if let reason = Self.retentionBlocker(try? AgentState.load(from: layout.stateFile)) {
            logger.notice("retention skipped; no backup is removed", metadata: [LogKey.error: "\(reason)"])
        } else {
            await pruner.apply(warnForeign: false)
        }
        if let remote {
            let outcome = await OffsiteSync(remote: remote, layout: layout, logger: logger).run()
            if !outcome.failed.isEmpty {
                logger.error("offsite copies are behind; local backups go on", metadata: [
                    "pending": "\(outcome.failed.count + outcome.notAttempted)", LogKey.error: "\(outcome.failed.values.first ?? "")",
                ])
            }
        }
    }
}
