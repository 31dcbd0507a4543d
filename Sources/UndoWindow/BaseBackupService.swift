import Foundation
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The base backups of the undo window, a `Service` of `backup-agent run` beside the WAL
/// receiver. Every ten seconds it decides (``due(bases:window:streaming:now:)``) and, when due,
/// takes a base backup with ``BaseBackupJob``; then it applies ``WalRetention``.
///
/// A base backup is due when the archive has none, when `BASE_BACKUP_SCHEDULE` fired since the
/// newest one started, or when a gap separates the newest one from the newest WAL while the
/// receiver streams again, or when `BASE_BACKUP_AFTER_WAL` of WAL followed the newest one
/// (``BaseBackupAfterWal``: replay stays bounded whatever the schedule). After a failed attempt
/// it waits five minutes.
public struct BaseBackupService: Service {
    public let job: BaseBackupJob
    public let settings: ArchiveSettings
    public let zone: TimeZone
    public let logger: Logger

    public init(job: BaseBackupJob, settings: ArchiveSettings, zone: TimeZone, logger: Logger) {
        self.job = job
        self.settings = settings
        self.zone = zone
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await loop() }
        } catch is CancellationError {
            logger.info("base backups stopped")
        }
    }

    /// Why a base backup should be taken now, or nil. `walSince`: the WAL archived since the
    /// newest base backup started (``BaseBackupAfterWal/walSince(_:wal:)``), `walLimit` what
    /// `BASE_BACKUP_AFTER_WAL` allows after it (nil: off). Pure.
    public static func due(bases: [StoredBaseBackup], window: UndoWindow, streaming: Bool, schedule: CronSchedule,
                           zone: TimeZone, now: Date, walSince: Int64 = 0, walLimit: Int64? = nil) -> String? {
        guard let newest = bases.last else { return "the archive has no base backup yet" }
        if streaming && window.newestNeedsBaseBackup { return "WAL is missing between the newest base backup and the newest WAL (a gap)" }
        if let next = schedule.next(after: newest.manifest.startedAt, in: zone), next <= now { return "BASE_BACKUP_SCHEDULE" }
        if streaming, let walLimit, walSince >= walLimit {
            return "BASE_BACKUP_AFTER_WAL: \(ScratchSpace.text(walSince)) of WAL since the newest base backup (limit \(ScratchSpace.text(walLimit)))"
        }
        return nil
    }

    func loop() async throws {
        let layout = job.layout
        // The newest base backup's data size, read from its backup_manifest once.
        var dataBytes: (base: String, bytes: Int64?)?
        while true {
            let now = Date()
            let snapshot = UndoWindowSnapshot(layout: layout, now: now)
            let (bases, window) = (snapshot.bases, snapshot.window)
            let streaming = snapshot.receiver?.isStreaming(now: now) ?? false
            var pause: Duration = .seconds(10)
            var walSince: Int64 = 0
            var walLimit: Int64?
            if let newest = bases.last, settings.baseAfterWal != .off {
                if dataBytes?.base != newest.name { dataBytes = (newest.name, BaseBackupAfterWal.dataBytes(of: newest)) }
                walSince = BaseBackupAfterWal.walSince(newest, wal: snapshot.wal)
                walLimit = settings.baseAfterWal.limit(dataBytes: dataBytes?.bytes)
            }
            if let reason = Self.due(bases: bases, window: window, streaming: streaming, schedule: settings.baseSchedule, zone: zone, now: now,
                                     walSince: walSince, walLimit: walLimit) {
                if !window.missing.isEmpty {
                    logger.warning("the WAL archive has a gap", metadata: ["missing": "\(window.missing.first!)…\(window.missing.last!) (\(window.missing.count) segments)"])
                }
                logger.info("base backup due", metadata: ["reason": "\(reason)"])
                do {
                    try await job.run()
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    logger.error("base backup failed; retrying in 5 minutes", metadata: [LogKey.error: "\(error)"])
                    pause = .seconds(300)
                }
            }
            prune()
            try await Task.sleep(for: pause)
        }
    }

    /// Applies ``WalRetention`` to what is on disk now.
    public func prune(now: Date = Date()) {
        let layout = job.layout
        let bases = StoredBaseBackup.all(in: layout)
        guard let size = bases.last?.manifest.walSegmentSize else { return }
        let plan = WalRetention.plan(bases: bases, wal: WalFile.scan(layout, segmentSize: size), now: now, keepDays: settings.keepDays)
        let manager = FileManager.default
        for name in plan.deletedBases {
            logger.info("removing base backup (WAL_KEEP_DAYS)", metadata: [LogKey.path: "\(layout.baseDirectory)/\(name)"])
            try? manager.removeItem(atPath: layout.baseDirectory + "/" + name)
        }
        for path in plan.deletedWal { try? manager.removeItem(atPath: path) }
        if !plan.deletedWal.isEmpty { logger.info("removed WAL no kept base backup needs", metadata: ["segments": "\(plan.deletedWal.count)"]) }
        for entry in (try? manager.contentsOfDirectory(atPath: layout.walDirectory)) ?? [] where !entry.hasPrefix(".") {
            let path = layout.walDirectory + "/" + entry
            if let inside = try? manager.contentsOfDirectory(atPath: path), inside.isEmpty { try? manager.removeItem(atPath: path) }
        }
    }
}
