import Foundation
import LaterbaseCore
import Logging

/// Applies the ``RetentionPolicy`` to `BACKUP_DIR`, database by database, and removes what no
/// rule keeps: the `.sql.gz`, its manifest and, when it was copied offsite, the remote copies.
///
/// A backup counts as kept only once it is verified: each backup a rule would keep in place of
/// others (the newest, the newest of an hour, a day, …) is checked against its manifest first
/// (``BackupVerifier``, through the ``VerificationCache``: no read when it is unchanged since it
/// was last checked). A damaged one is kept, reported, and its period filled by the next intact
/// backup. Only regular files Laterbase named are ever removed (``LibraryEntry``).
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
        /// Why its file no longer matches its manifest (it is kept, not counted).
        public var damage: String? = nil

        /// `keep    Resolve/Resolve_backup_….sql.gz  newest, hourly 2026-11-24 15:00`
        public var text: String {
            let verdict = keptBy.isEmpty ? "remove" : "keep  "
            let why = keptBy.isEmpty ? "no rule keeps it" : keptBy.joined(separator: ", ")
            return "\(verdict)  \(backup.relativePath)  \(why)"
        }
    }

    /// What ``apply(now:warnForeign:)`` did.
    public struct Outcome: Sendable, Equatable {
        /// `folder/file` of each removed backup.
        public var removed: [String] = []
        /// Damaged backups (kept, not counted): `folder/file` and why.
        public var damaged: [Line] = []
        /// Names in library folders that Laterbase did not make (left alone).
        public var foreign: [String] = []
    }

    /// What retention would do now, newest first per database. Verifies the backups that would
    /// stand in for others (recorded in the cache), so it may read files it has not read before.
    public func plan(now: Date = Date()) async -> [Line] {
        let byDatabase = Dictionary(grouping: StoredBackup.all(in: layout), by: \.folder)
        let verifier = BackupVerifier(layout: layout, logger: logger)
        var cache = VerificationCache.load(layout)
        let before = cache
        var lines: [Line] = []
        for folder in byDatabase.keys.sorted() {
            let backups = byDatabase[folder]!
            var damage: [String: String] = [:]
            for backup in backups { damage[backup.file] = BackupVerifier.known(backup, in: cache).damage }
            var checked: Set<String> = []
            var decisions: [RetentionPolicy.Decision]
            while true {
                let items = backups.map { RetentionPolicy.Item(name: $0.file, time: $0.time, complete: $0.manifest != nil, damage: damage[$0.file]) }
                decisions = policy.apply(to: items, now: now, zone: zone)
                // Those kept in place of others and not verified in this run yet.
                let pending = decisions.filter { decision in
                    decision.item.counts && !checked.contains(decision.item.name)
                        && decision.keptBy.contains { !$0.hasPrefix("younger than") }
                }
                guard !pending.isEmpty else { break }
                for decision in pending {
                    checked.insert(decision.item.name)
                    let backup = backups.first { $0.file == decision.item.name }!
                    switch await verifier.check(backup, cache: &cache) {
                    case .intact, .unchecked: break
                    case .damaged(let why): damage[backup.file] = why
                    case .removed: damage[backup.file] = "it was removed while retention ran"
                    }
                }
            }
            lines += decisions.map { decision in
                Line(backup: backups.first { $0.file == decision.item.name }!, keptBy: decision.keptBy, damage: damage[decision.item.name])
            }
        }
        if cache != before {
            do {
                try VerificationCache.update(layout) { $0.entries.merge(cache.entries) { _, new in new } }
            } catch {
                logger.warning("cannot record what was verified; it is read again next time", metadata: [LogKey.error: "\(oneLine(error))"])
            }
        }
        return lines
    }

    /// Removes what the plan drops: the offsite copy first, then the local files. Anything that
    /// cannot be removed is logged and left for the next run. Call with the `BACKUP_DIR` lock
    /// held (the upload ledger is shared).
    /// - Parameter warnForeign: log one warning naming what in the library folders Laterbase did
    ///   not make (a pass has warned already when it tidied up).
    @discardableResult
    public func apply(now: Date = Date(), warnForeign: Bool = true) async -> Outcome {
        var ledger = UploadLedger.load(layout)
        var outcome = Outcome()
        outcome.foreign = LibraryEntry.foreign(in: layout)
        if warnForeign { Self.warnAboutForeign(outcome.foreign, logger: logger) }
        let plan = await plan(now: now)
        for line in plan where line.damage != nil {
            outcome.damaged.append(line)
            logger.error("damaged backup: kept, not counted by retention; restore another backup", metadata: [
                LogKey.file: "\(line.backup.relativePath)", LogKey.error: "\(line.damage ?? "")"])
        }
        for line in plan where line.keptBy.isEmpty {
            let backup = line.backup
            let manifest = BackupLayout.manifestPath(forBackup: backup.path)
            let manifestName = (manifest as NSString).lastPathComponent
            let directory = (backup.path as NSString).deletingLastPathComponent
            // Only a regular file Laterbase named (the listing saw one; check again before deleting).
            guard LibraryEntry.classify(backup.file, in: directory) == .backup else { continue }
            // Offsite first: if the remote cannot be reached the local file stays, so the next
            // prune tries again instead of leaving an orphan on the remote.
            if let remote, ledger.entries[backup.relativePath] != nil {
                do {
                    try await remote.delete(folder: backup.folder, file: backup.file)
                    try await remote.delete(folder: backup.folder, file: manifestName)
                } catch {
                    logger.warning("cannot prune the offsite copy; the local backup stays until it can", metadata: [
                        LogKey.file: "\(backup.relativePath)", LogKey.error: "\(error)"])
                    continue
                }
            }
            guard unlink(backup.path) == 0 else {
                logger.error("cannot remove an expired backup", metadata: [LogKey.file: "\(backup.relativePath)", LogKey.error: "\(String(cString: strerror(errno)))"])
                continue
            }
            if LibraryEntry.classify(manifestName, in: directory) == .manifest, unlink(manifest) != 0 {
                logger.warning("cannot remove an expired backup's manifest", metadata: [LogKey.file: "\(backup.folder)/\(manifestName)", LogKey.error: "\(String(cString: strerror(errno)))"])
            }
            ledger.entries[backup.relativePath] = nil
            outcome.removed.append(backup.relativePath)
            logger.info("pruned", metadata: [LogKey.file: "\(backup.relativePath)"])
        }
        try? ledger.save(layout)
        return outcome
    }

    /// One warning naming everything in the library folders that Laterbase did not make.
    public static func warnAboutForeign(_ names: [String], logger: Logger) {
        guard !names.isEmpty else { return }
        logger.warning("left alone: not made by Laterbase, so never deleted by it; move it out of the backup folder", metadata: [
            "count": "\(names.count)", LogKey.file: "\(names.map(TerminalText.escaped).joined(separator: ", "))"])
    }
}
