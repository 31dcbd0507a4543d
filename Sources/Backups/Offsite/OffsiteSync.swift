import Foundation
import LaterbaseCore
import Logging

/// Copies every local backup (and its manifest) that is not offsite yet, newest first, with
/// retries and backoff, and records the outcome in the ``UploadLedger``. Never throws: an upload
/// failure must not stop local backups; `healthcheck` reports the backlog instead. When one file
/// exhausts its attempts the sync stops (the remote is most likely down) and the rest waits for
/// the next pass, so a dead remote costs each pass seconds, not hours. Call with the
/// `BACKUP_DIR` lock held (the ledger is shared with retention).
public struct OffsiteSync: Sendable {
    public let remote: RcloneRemote
    public let layout: BackupLayout
    public let logger: Logger
    /// Attempts per file in one sync, and the first backoff (doubling).
    public var attempts = 3
    public var backoff: Duration = .seconds(2)

    public init(remote: RcloneRemote, layout: BackupLayout, logger: Logger) {
        self.remote = remote
        self.layout = layout
        self.logger = logger
    }

    /// What one sync did.
    public struct Outcome: Sendable, Equatable {
        public var uploaded: [String] = []
        public var failed: [String: String] = [:]
        /// Files left for the next pass after a failure.
        public var notAttempted = 0
    }

    public func run() async -> Outcome {
        var ledger = UploadLedger.load(layout)
        var outcome = Outcome()
        let stored = StoredBackup.all(in: layout)
        let pending = stored.filter { !ledger.isUploaded($0) && $0.manifest != nil }.sorted { $0.time > $1.time }
        // Asked once per sync: whether copies are checked with cryptcheck, and may be made at all.
        let type = pending.isEmpty ? nil : await remote.type()
        let crypt = type == "crypt"
        if remote.requireEncryption, !pending.isEmpty, let unencrypted = remote.unencrypted(type: type) {
            // Nothing leaves the building in the clear: each pending backup is behind, with the reason.
            let reason = "OFFSITE_REQUIRE_ENCRYPTION=on and \(unencrypted); nothing is copied"
            logger.error("offsite copies refused", metadata: [LogKey.error: "\(reason)"])
            for backup in pending {
                var entry = ledger.entries[backup.relativePath] ?? UploadLedger.Entry()
                entry.lastError = reason
                ledger.entries[backup.relativePath] = entry
            }
            try? ledger.save(layout)
            outcome.failed[pending[0].relativePath] = reason
            outcome.notAttempted = pending.count - 1
            return outcome
        }
        // Oldest first, so a chain of unchanged points copies from files offsite longest.
        var uploaded = stored.filter { ledger.isUploaded($0) && $0.manifest != nil }.sorted { $0.time < $1.time }
        var serverCopies: Bool?  // asked of the remote when first needed
        for backup in pending {
            if Task.isCancelled { break }
            var entry = ledger.entries[backup.relativePath] ?? UploadLedger.Entry()
            var delay = backoff
            for attempt in 1...max(1, attempts) {
                entry.attempts += 1
                entry.lastAttempt = Date()
                do {
                    let twin = Self.twin(of: backup, among: uploaded)
                    if twin != nil, serverCopies == nil { serverCopies = await remote.copiesOnServer() }
                    entry.copiedFrom = try await copy(backup, twin: serverCopies == true ? twin : nil, crypt: crypt)
                    let manifestPath = BackupLayout.manifestPath(forBackup: backup.path)
                    try await remote.upload(manifestPath, folder: backup.folder, file: (manifestPath as NSString).lastPathComponent, sha256: nil, crypt: crypt)
                    entry.uploadedAt = Date()
                    entry.lastError = nil
                    outcome.uploaded.append(backup.relativePath)
                    uploaded.append(backup)
                    logger.info("copied offsite", metadata: [LogKey.file: "\(backup.relativePath)", "remote": "\(remote.target(backup.folder, backup.file))",
                                                             "server_side_copy_of": "\(entry.copiedFrom ?? "-")"])
                    break
                } catch {
                    entry.lastError = oneLine(error)
                    logger.warning("offsite copy failed", metadata: [LogKey.file: "\(backup.relativePath)", "attempt": "\(attempt)", LogKey.error: "\(entry.lastError ?? "")"])
                    if attempt < attempts {
                        do { try await Task.sleep(for: delay) } catch { break }
                        delay *= 2
                    }
                }
            }
            ledger.entries[backup.relativePath] = entry
            try? ledger.save(layout)
            if entry.uploadedAt == nil {
                outcome.failed[backup.relativePath] = entry.lastError ?? "unknown error"
                outcome.notAttempted = pending.count - outcome.uploaded.count - outcome.failed.count
                break
            }
        }
        return outcome
    }

    /// Copies the backup file: on the remote from `twin` when given (no upload; an upload if that
    /// fails), else an upload. Returns the twin's name when the remote copied it.
    private func copy(_ backup: StoredBackup, twin: StoredBackup?, crypt: Bool) async throws -> String? {
        if let twin {
            do {
                try await remote.copyOnRemote(existing: twin.file, folder: backup.folder, file: backup.file,
                                              localPath: backup.path, sha256: backup.manifest?.sha256, crypt: crypt)
                return twin.file
            } catch {
                logger.notice("server-side copy failed; uploading the file instead",
                              metadata: [LogKey.file: "\(backup.relativePath)", LogKey.error: "\(error)"])
            }
        }
        try await remote.upload(backup.path, folder: backup.folder, file: backup.file, sha256: backup.manifest?.sha256, crypt: crypt)
        return nil
    }

    /// A backup already offsite with the same bytes (an unchanged library's earlier point: same
    /// SHA-256 and size in the same folder), or nil.
    static func twin(of backup: StoredBackup, among uploaded: [StoredBackup]) -> StoredBackup? {
        guard let manifest = backup.manifest, manifest.unchangedFrom != nil else { return nil }
        return uploaded.first {
            $0.folder == backup.folder && $0.manifest?.sha256 == manifest.sha256 && $0.manifest?.compressedBytes == manifest.compressedBytes
        }
    }
}
