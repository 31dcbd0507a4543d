import Backups
import Foundation
import LaterbaseCore
import Notify
import UndoWindow

/// What the agent watches every few minutes beside its passes, as ``WatchedCondition``s: the
/// newest backups older than `HEALTH_MAX_BACKUP_AGE`, the undo window (receiver down, a gap, no
/// base backup), the standbys and slots as the Resolve server reports them, and the free space
/// of `BACKUP_DIR`. Pure functions of what was read, so each threshold is unit-tested.
public enum AgentWatch {
    public static let staleKey = "backup-stale"
    public static let undoWindowKey = "undo-window"
    public static let diskKey = "disk-space"
    public static let standbyDownPrefix = "standby-down:"
    public static let standbyLagPrefix = "standby-lag:"
    public static let slotWalPrefix = "slot-wal:"

    /// From `BackupHealth.stale`: the newest backup of some library older than the allowed age.
    public static func staleBackups(_ state: AgentState?, now: Date, maxAge: TimeInterval) -> WatchedCondition {
        let stale = state.flatMap { BackupHealth.stale($0, now: now, maxAge: maxAge) }
        return WatchedCondition(
            key: staleKey,
            problem: stale.map { Notification(title: "Laterbase: backups are getting old",
                                              body: "At \(UTCFormat.message(now)) \($0) (HEALTH_MAX_BACKUP_AGE). Check the agent's log and the Resolve server.",
                                              kind: .failure) },
            resolved: Notification(title: "Laterbase: backups are current again", body: "Every library has a backup newer than HEALTH_MAX_BACKUP_AGE.", kind: .success))
    }

    /// From the undo window's verdict (`ArchiveHealth.evaluate`): the WAL receiver down, a gap, no base backup.
    public static func undoWindow(_ verdict: BackupHealth.Verdict) -> WatchedCondition {
        WatchedCondition(
            key: undoWindowKey,
            problem: verdict.healthy ? nil : Notification(
                title: "Laterbase: the undo window is not being kept",
                body: "\(verdict.message.prefix(1).uppercased())\(verdict.message.dropFirst()). Restores to a moment after that are not possible until it is mended; the hourly backups go on.",
                kind: .failure),
            resolved: Notification(title: "Laterbase: the undo window is kept again", body: "\(verdict.message.prefix(1).uppercased())\(verdict.message.dropFirst()).", kind: .success))
    }

    /// Less free space in `BACKUP_DIR` than `minimum`: by default room for two more passes
    /// (twice the newest backup of every library).
    public static func diskSpace(available: Int64, capacity: Int64, minimum: Int64, directory: String) -> WatchedCondition {
        WatchedCondition(
            key: diskKey,
            problem: available >= minimum ? nil : Notification(
                title: "Laterbase: the backup disk is nearly full",
                body: "\(directory) has \(ByteText.text(available)) free of \(ByteText.text(capacity)), less than \(ByteText.text(minimum)) (BACKUP_MIN_FREE_SPACE, by default room for two more passes). A pass that fills it fails; free space or lower the retention (BACKUP_KEEP_*).",
                kind: .warning),
            resolved: Notification(title: "Laterbase: the backup disk has room again", body: "\(directory) has \(ByteText.text(available)) free.", kind: .success))
    }

    /// Room for two more passes: twice the newest backup of every library.
    public static func twoPasses(_ backups: [StoredBackup]) -> Int64 {
        var newest: [String: Int64] = [:]
        for backup in backups where newest[backup.database] == nil { newest[backup.database] = backup.size }
        return 2 * newest.values.reduce(0, +)
    }

    /// The standbys and slots the Resolve server reports: a slot nobody streams from (the
    /// standby down; the undo window's own slot is the undo window's condition), a standby that
    /// replays more than `maxLagSeconds` behind, a slot that holds more than `maxSlotWal` of WAL on
    /// the Resolve server's disk or is about to lose it.
    public static func replication(_ status: ReplicationStatus, walSlot: String?, maxLagSeconds: Int, maxSlotWal: Int64) -> [WatchedCondition] {
        var conditions: [WatchedCondition] = []
        for slot in status.slots {
            let retained = slot.retainedBytes.map { ByteText.text($0) } ?? "an unknown amount of"
            if slot.name != walSlot {
                conditions.append(WatchedCondition(
                    key: standbyDownPrefix + slot.name,
                    problem: slot.active ? nil : Notification(
                        title: "Laterbase: the standby on slot \(slot.name) is not streaming",
                        body: "Nothing streams from the replication slot \(slot.name) on the Resolve server, so failover to the standby would lose what was saved since; the server keeps \(retained) WAL for it. Start the standby (docker compose up -d laterbase-standby); if it is gone for good, drop the slot.",
                        kind: .failure),
                    resolved: Notification(title: "Laterbase: the standby on slot \(slot.name) streams again", body: "The replication slot \(slot.name) is in use again.", kind: .success)))
            }
            let endangered = ["unreserved", "lost"].contains(slot.walStatus)
            let shrinking = slot.safeWalSize.map { $0 < maxSlotWal / 10 } ?? false
            let holding = (slot.retainedBytes ?? 0) > maxSlotWal
            let safe = slot.safeWalSize.map { ", \(ByteText.text($0)) until the slot is lost (safe_wal_size)" } ?? ""
            conditions.append(WatchedCondition(
                key: slotWalPrefix + slot.name,
                problem: endangered || shrinking || holding ? Notification(
                    title: "Laterbase: slot \(slot.name) holds \(retained) WAL on the Resolve server",
                    body: "The replication slot \(slot.name) keeps \(retained) of WAL on the Resolve server's disk (wal_status \(slot.walStatus.isEmpty ? "unknown" : slot.walStatus)\(safe); HEALTH_MAX_SLOT_WAL \(ByteText.text(maxSlotWal))). A full disk stops the Resolve server: bring back what streams from the slot, or drop the slot if it is gone for good.",
                    kind: .failure) : nil,
                resolved: Notification(title: "Laterbase: slot \(slot.name) holds little WAL again", body: "The replication slot \(slot.name) keeps \(retained) of WAL.", kind: .success)))
        }
        for sender in status.senders where !sender.isWalArchive {
            let lagging = sender.replayLagSeconds > Double(maxLagSeconds)
            conditions.append(WatchedCondition(
                key: standbyLagPrefix + sender.application,
                problem: lagging ? Notification(
                    title: "Laterbase: the standby \(sender.application) lags \(BackupHealth.age(sender.replayLagSeconds)) behind",
                    body: "The standby \(sender.application) at \(sender.client) replays \(BackupHealth.age(sender.replayLagSeconds))\(sender.replayLagBytes.map { " (\(ByteText.text($0)))" } ?? "") behind the Resolve server, over HEALTH_MAX_LAG_SECONDS (\(maxLagSeconds) s): a failover now would lose that much work.",
                    kind: .warning) : nil,
                resolved: Notification(title: "Laterbase: the standby \(sender.application) caught up", body: "The standby \(sender.application) replays within HEALTH_MAX_LAG_SECONDS again.", kind: .success)))
        }
        return conditions
    }

    /// The key prefixes whose conditions ``replication(_:walSlot:maxLagSeconds:maxSlotWal:)``
    /// lists in full: an open problem under them that is no longer listed (the slot dropped, the
    /// standby disconnected) is over.
    public static let replicationPrefixes = [standbyDownPrefix, standbyLagPrefix, slotWalPrefix]
}
