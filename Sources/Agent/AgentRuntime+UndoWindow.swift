import Backups
import Foundation
import LaterbaseCore
import Restore
import ServiceLifecycle
import UndoWindow

/// The undo window's part of the agent's composition point: what `run`, `healthcheck`, `list`
/// and `restore --at` do with ``ArchiveSettings``.
extension AgentRuntime {
    public var archiveLayout: ArchiveLayout { ArchiveLayout(root: settings.backupDirectory) }

    /// The services `backup-agent run` adds with `WAL_ARCHIVE=on`: the WAL receiver, the base
    /// backups and, with offsite copies on, their offsite copy.
    public func archiveServices() -> [any Service] {
        guard archive.enabled else { return [] }
        let job = BaseBackupJob(primary: settings.primary, layout: archiveLayout, logger: logger)
        let services: [any Service] = [
            WalReceiver(primary: settings.primary, slot: archive.slot, layout: archiveLayout, logger: logger),
            BaseBackupService(job: job, settings: archive, zone: zone, logger: logger),
        ]
        return services + (offsiteArchiveService().map { [$0] } ?? [])
    }

    /// The healthcheck's verdict with the undo window's (when it is on or on disk): the WAL
    /// slot as the primary reports it is asked for only when the receiver is down.
    public func healthWithUndoWindow(now: Date = Date()) async throws -> BackupHealth.Verdict {
        let dumps = try health(now: now)
        guard let undo = await undoWindowHealth(now: now) else { return dumps }
        return BackupHealth.combine(dumps, undo)
    }

    /// The undo window's own verdict; nil when it is off and nothing of it is on disk.
    public func undoWindowHealth(now: Date = Date()) async -> BackupHealth.Verdict? {
        guard archive.enabled || UndoWindowSnapshot.exists(archiveLayout) else { return nil }
        let snapshot = UndoWindowSnapshot(layout: archiveLayout, now: now)
        let streaming = snapshot.receiver?.isStreaming(now: now) ?? false
        let slot = streaming ? nil : await UndoWindowSnapshot.slotReport(primary: settings.primary, slot: archive.slot)
        let local = ArchiveHealth.evaluate(window: snapshot.window, receiver: snapshot.receiver, slot: slot, now: now)
        guard let offsite = offsiteArchiveHealth(snapshot, now: now) else { return local }
        return BackupHealth.combine(local, offsite)
    }

    /// The lines `list` prints under the dumps, nil when there is no archive.
    public func undoWindowListing(now: Date = Date()) -> String? {
        guard UndoWindowSnapshot.exists(archiveLayout) else { return nil }
        let snapshot = UndoWindowSnapshot(layout: archiveLayout, now: now)
        let local = ArchiveHealth.listing(window: snapshot.window, bases: snapshot.bases, wal: snapshot.wal, receiver: snapshot.receiver, now: now)
        return [local, offsiteArchiveListing()].compactMap { $0 }.joined(separator: "\n")
    }

    /// `restore --db --at --as`, aimed at the primary or at `host`/`port`.
    public func pointInTimeRestore(host: String? = nil, port: Int? = nil) -> PointInTimeRestore {
        PointInTimeRestore(layout: archiveLayout, target: restoreTarget(host: host, port: port), user: settings.primary.user)
    }
}
