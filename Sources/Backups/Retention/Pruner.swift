import Foundation
import LaterbaseCore
import Logging

/// Applies the ``RetentionPolicy`` to `BACKUP_DIR`, database by database, and removes what no
/// rule keeps: the `.sql.gz`, its manifest and, when it was copied offsite, the remote copies.
public struct Pruner: Sendable {
    public let layout: BackupLayout
    public let policy: RetentionPolicy
    public let zone: TimeZone
    public let remote: RcloneRemote?
    public let logger: Logger

    public init(layout: BackupLayout, policy: RetentionPolicy, zone: TimeZone, remote: RcloneRemote?, logger: Logger) {
        self.layout = layout
        self.policy = policy
        self.zone = zone
        self.remote = remote
        self.logger = logger
    }

    /// One backup and the rules that keep it (none: it goes).
    public struct Line: Sendable, Equatable {
        public let backup: StoredBackup
        public let keptBy: [String]

        /// `keep    Resolve/Resolve_backup_….sql.gz  newest, hourly 2026-11-24 15:00`
        public var text: String {
            let verdict = keptBy.isEmpty ? "remove" : "keep  "
            let why = keptBy.isEmpty ? "no rule keeps it" : keptBy.joined(separator: ", ")
            return "\(verdict)  \(backup.relativePath)  \(why)"
        }
    }

    /// What retention would do now, newest first per database.
    public func plan(now: Date = Date()) -> [Line] {
        let byDatabase = Dictionary(grouping: StoredBackup.all(in: layout), by: \.folder)
        return byDatabase.keys.sorted().flatMap { folder -> [Line] in
            let backups = byDatabase[folder]!
            let items = backups.map { RetentionPolicy.Item(name: $0.file, time: $0.time, complete: $0.manifest != nil) }
            let decisions = policy.apply(to: items, now: now, zone: zone)
            return decisions.map { decision in
                Line(backup: backups.first { $0.file == decision.item.name }!, keptBy: decision.keptBy)
            }
        }
    }

    /// Removes what the plan drops: the offsite copy first, then the local files. Returns the
    /// removed `folder/file`s; anything that cannot be removed is logged and left for the next
    /// run. Call with the `BACKUP_DIR` lock held (the upload ledger is shared).
    @discardableResult
    public func apply(now: Date = Date()) async -> [String] {
        var ledger = UploadLedger.load(layout)
        var removed: [String] = []
        for line in plan(now: now) where line.keptBy.isEmpty {
            let backup = line.backup
            let manifest = BackupLayout.manifestPath(forBackup: backup.path)
            // Offsite first: if the remote cannot be reached the local file stays, so the next
            // prune tries again instead of leaving an orphan on the remote.
            if let remote, ledger.entries[backup.relativePath] != nil {
                do {
                    try await remote.delete(folder: backup.folder, file: backup.file)
                    try await remote.delete(folder: backup.folder, file: (manifest as NSString).lastPathComponent)
                } catch {
                    logger.warning("cannot prune the offsite copy; the local backup stays until it can", metadata: [
                        LogKey.file: "\(backup.relativePath)", LogKey.error: "\(error)"])
                    continue
                }
            }
            do {
                try FileManager.default.removeItem(atPath: backup.path)
                if FileManager.default.fileExists(atPath: manifest) { try FileManager.default.removeItem(atPath: manifest) }
            } catch {
                logger.error("cannot remove an expired backup", metadata: [LogKey.file: "\(backup.relativePath)", LogKey.error: "\(error.localizedDescription)"])
                continue
            }
            ledger.entries[backup.relativePath] = nil
            removed.append(backup.relativePath)
            logger.info("pruned", metadata: [LogKey.file: "\(backup.relativePath)"])
        }
        try? ledger.save(layout)
        return removed
    }
}
