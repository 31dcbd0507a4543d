import Backups
import Foundation
import LaterbaseCore
import Notify
import UndoWindow

/// What `run` watches between passes, and the daily summary (with `NOTIFY_URLS`).
extension AgentRuntime {
    /// Reads what ``AgentWatch`` judges — the state file, the undo window, the free space of
    /// `BACKUP_DIR`, the primary's standbys and slots — and tells what changed. A primary that
    /// does not answer changes nothing about the standbys (the passes tell that it is down).
    public func watch(telling notifications: AgentNotifications, now: Date = Date()) async {
        guard notifications.notifier != nil else { return }
        let bounds = notifications.settings
        let maxAge = BackupHealth.maxAge(settings: settings, schedule: schedule, zone: zone, now: now)
        var conditions = [AgentWatch.staleBackups(try? AgentState.load(from: layout.stateFile), now: now, maxAge: maxAge)]
        if archive.enabled, let undo = await undoWindowHealth(now: now) {
            conditions.append(AgentWatch.undoWindow(undo))
        }
        if let disk = ScratchSpace.free(at: layout.root) {
            let minimum = bounds?.minFreeBytes ?? AgentWatch.twoPasses(StoredBackup.all(in: layout, manifests: false))
            conditions.append(AgentWatch.diskSpace(available: disk.available, capacity: disk.capacity, minimum: minimum, directory: settings.backupDirectory))
        }
        await notifications.apply(conditions)
        if let status = try? await ReplicationStatus.read(settings.primary) {
            let replication = AgentWatch.replication(status, walSlot: archive.slot, maxLagSeconds: bounds?.maxLagSeconds ?? 300,
                                                     maxSlotWal: bounds?.maxSlotWalBytes ?? 10 << 30)
            await notifications.apply(replication, under: AgentWatch.replicationPrefixes)
        }
    }

    /// `NOTIFY_DAILY_SUMMARY`: the mail a facility manager reads — each library's newest backup,
    /// the undo window, the disk, offsite copies, and what is wrong now.
    public func dailySummary(openProblems: [NotificationLedger.OpenProblem], now: Date = Date()) async -> Notify.Notification {
        let backups = StoredBackup.all(in: layout)
        var lines = ["Libraries:"]
        let libraries = Dictionary(grouping: backups, by: \.database).sorted { $0.key < $1.key }
        for (library, kept) in libraries {
            let newest = kept.max { $0.time < $1.time }!
            lines.append("- \(library): newest \(UTCFormat.message(newest.time)) (\(BackupHealth.age(now.timeIntervalSince(newest.time))) ago, \(ByteText.text(newest.size))), \(kept.count) kept")
        }
        if libraries.isEmpty { lines.append("- no backup yet") }
        if let undo = await undoWindowHealth(now: now) { lines.append("Undo window: \(undo.message)") }
        if let disk = ScratchSpace.free(at: layout.root) {
            lines.append("Disk: \(ByteText.text(disk.available)) free of \(ByteText.text(disk.capacity)) in \(settings.backupDirectory)")
        }
        if let remote {
            let behind = offsiteBacklog(backups, now: now)
            lines.append("Offsite (\(remote.name):\(remote.path)): " + (behind.map { "\($0.count) backup(s) not copied" } ?? "every backup copied"))
        } else {
            lines.append("Offsite: off (RCLONE_REMOTE_NAME unset)")
        }
        let problems = openProblems.sorted { $0.since < $1.since }
        lines.append(problems.isEmpty ? "Problems: none" : "Problems now:")
        lines += problems.map { "- \($0.title.replacingOccurrences(of: "Laterbase: ", with: "", options: .anchored)) (since \(UTCFormat.message($0.since)))" }
        let title = problems.isEmpty
            ? "Laterbase daily summary: \(libraries.count) librar\(libraries.count == 1 ? "y" : "ies"), all well"
            : "Laterbase daily summary: \(problems.count) problem(s)"
        return Notification(title: title, body: lines.joined(separator: "\n"), kind: problems.isEmpty ? .info : .warning)
    }
}
