import Backups
import Foundation
import LaterbaseCore
import UndoWindow

/// The undo window offsite: what `run` adds, what a pass does after its dumps' copies, and the
/// offsite window's part of health and `list`.
extension AgentRuntime {
    /// Nil unless `WAL_ARCHIVE=on` and offsite copies are on.
    public var offsiteArchiveSync: OffsiteArchiveSync? {
        guard archive.enabled, let remote else { return nil }
        return OffsiteArchiveSync(remote: remote, layout: archiveLayout, keepDays: archive.keepDays,
                                  partialInterval: OffsiteArchiveService.partialInterval(maxLag: archive.offsiteMaxWalLag), logger: logger)
    }

    /// `run`'s service copying the undo window offsite, or nil.
    func offsiteArchiveService() -> OffsiteArchiveService? {
        offsiteArchiveSync.map { OffsiteArchiveService(sync: $0, interval: OffsiteArchiveService.interval(maxLag: archive.offsiteMaxWalLag)) }
    }

    /// The offsite window's verdict beside the local one's; nil when it is off or there is no local window.
    func offsiteArchiveHealth(_ snapshot: UndoWindowSnapshot, now: Date) -> BackupHealth.Verdict? {
        guard offsiteArchiveSync != nil else { return nil }
        return OffsiteArchiveHealth.evaluate(index: OffsiteArchiveIndex.load(archiveLayout), local: snapshot.window, localBases: snapshot.bases,
                                             maxLag: archive.offsiteMaxWalLag, now: now)
    }

    /// The `list` lines of the offsite window, from the local index; nil when it is off.
    func offsiteArchiveListing() -> String? {
        guard let remote, offsiteArchiveSync != nil else { return nil }
        return OffsiteArchiveHealth.listing(index: OffsiteArchiveIndex.load(archiveLayout), remote: remote.location(""))
    }
}
