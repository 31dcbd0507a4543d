import Backups
import Crypto
import Foundation
import LaterbaseCore
import Logging

/// Copies the undo window offsite: every complete WAL segment and `.history` file to
/// `remote:path/.wal/`, every base backup to `remote:path/.base/<stamp>/` (its manifest last),
/// the receiver's `.partial` as a rolling copy at most every ``partialInterval``, then the index
/// (``OffsiteArchiveIndex``) that names only what was copied and checked. Retention offsite is
/// `WAL_KEEP_DAYS` applied to what is offsite (``WalRetention``), never "whatever is gone
/// locally": a lost or emptied `.wal/` must not take the offsite archive with it.
///
/// Never throws: a failure is logged, kept in the index as `lastError` (health reports the
/// lag), and the next sync resumes (rclone skips files already there). One sync at a time
/// (`.laterbase/offsite-archive.lock`; a second one returns at once).
public struct OffsiteArchiveSync: Sendable {
    public let remote: RcloneRemote
    public let layout: ArchiveLayout
    public let keepDays: Int
    /// The `.partial` is copied again once it changed and this long passed since its last copy.
    public let partialInterval: TimeInterval
    public let logger: Logger

    public init(remote: RcloneRemote, layout: ArchiveLayout, keepDays: Int, partialInterval: TimeInterval, logger: Logger) {
        self.remote = remote
        self.layout = layout
        self.keepDays = keepDays
        self.partialInterval = partialInterval
        self.logger = logger
    }

    /// What one sync did.
    public struct Outcome: Sendable, Equatable {
        public var copied: [String] = []
        public var deleted: [String] = []
        public var error: String?
        /// Another sync held the lock.
        public var skipped = false
    }

    @discardableResult
    public func run(now: Date = Date()) async -> Outcome {
        var outcome = Outcome()
        try? FileManager.default.createDirectory(atPath: layout.root + "/.laterbase", withIntermediateDirectories: true)
        guard UndoWindowSnapshot.exists(layout), let lock = try? DirectoryLock.tryAcquire(layout.root + "/.laterbase/offsite-archive.lock") else {
            outcome.skipped = true
            return outcome
        }
        defer { lock.release() }
        var index = await startingIndex()
        do {
            let crypt = try await checkedType()
            try await copy(&index, crypt: crypt, now: now, outcome: &outcome)
            try await retain(&index, now: now, outcome: &outcome)
            index.lastError = nil
            index.lastSync = now
            try await remote.write(try index.forRemote(), folder: OffsiteArchiveIndex.walFolder, file: OffsiteArchiveIndex.remoteName, crypt: crypt)
        } catch {
            index.lastError = oneLine(error)
            index.lastSync = now
            outcome.error = index.lastError
            logger.error("the undo window's offsite copy is behind; the local archive goes on", metadata: [LogKey.error: "\(index.lastError ?? "")"])
        }
        try? index.save(layout)
        if !outcome.copied.isEmpty {
            logger.info("undo window copied offsite", metadata: ["files": "\(outcome.copied.count)", "remote": "\(remote.location(""))"])
        }
        return outcome
    }

    /// The local index; on a first sync (a new disk, a new host) the remote's, so the archive
    /// already offsite stays listed and retained instead of forgotten.
    private func startingIndex() async -> OffsiteArchiveIndex {
        if FileManager.default.fileExists(atPath: OffsiteArchiveIndex.path(layout)) { return OffsiteArchiveIndex.load(layout) }
        if let data = try? await remote.read(OffsiteArchiveIndex.walFolder, OffsiteArchiveIndex.remoteName),
           let adopted = try? JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: data) {
            logger.info("continuing the undo window already offsite", metadata: ["wal_files": "\(adopted.wal.count)", "base_backups": "\(adopted.bases.count)"])
            return adopted
        }
        return OffsiteArchiveIndex()
    }

    /// Whether the remote is a crypt remote; throws when OFFSITE_REQUIRE_ENCRYPTION forbids copying to it.
    private func checkedType() async throws -> Bool {
        let type = await remote.type()
        if remote.requireEncryption, let unencrypted = remote.unencrypted(type: type) {
            throw OffsiteError(.notListed, "OFFSITE_REQUIRE_ENCRYPTION=on and \(unencrypted); nothing is copied")
        }
        return type == "crypt"
    }

    private func copy(_ index: inout OffsiteArchiveIndex, crypt: Bool, now: Date, outcome: inout Outcome) async throws {
        let snapshot = UndoWindowSnapshot(layout: layout, now: now)
        let histories = ((try? FileManager.default.contentsOfDirectory(atPath: layout.walDirectory)) ?? []).filter { $0.hasSuffix(".history") }.sorted()
        for name in histories where index.wal[name] == nil {
            try await copyWal(layout.walDirectory + "/" + name, name: name, into: &index, crypt: crypt, outcome: &outcome)
        }
        for file in snapshot.wal where !file.isPartial && index.wal[file.fileName] == nil {
            if Task.isCancelled { throw CancellationError() }
            try await copyWal(file.path, name: file.fileName, into: &index, crypt: crypt, outcome: &outcome)
        }
        for base in snapshot.bases where index.bases[base.name] == nil {
            try await copyBase(base, crypt: crypt)
            index.bases[base.name] = base.manifest
            try index.save(layout)
            outcome.copied.append(OffsiteArchiveIndex.baseFolder + "/" + base.name)
        }
        // The rolling copy of the segment being written: changed since its last copy, and not too often.
        if let partial = snapshot.wal.last, partial.isPartial, index.wal[partial.fileName]?.modified != partial.modified,
           now.timeIntervalSince(index.partialCopiedAt ?? .distantPast) >= partialInterval {
            try await copyWal(partial.path, name: partial.fileName, into: &index, crypt: crypt, outcome: &outcome)
            index.partialCopiedAt = now
        }
        // Everything local is offsite: the remote holds the WAL up to where the receiver streamed.
        let allCopied = snapshot.wal.allSatisfy { index.wal[$0.fileName]?.modified == $0.modified }
        index.streamedUntil = allCopied ? snapshot.receiver?.streamedUntil : nil
    }

    private func copyWal(_ path: String, name: String, into index: inout OffsiteArchiveIndex, crypt: Bool, outcome: inout Outcome) async throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let modified = attributes[.modificationDate] as? Date ?? Date()
        let bytes = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let sha256 = try await SecureFile.digest(of: path, using: SHA256.self)
        try await remote.upload(path, folder: OffsiteArchiveIndex.walFolder, file: name, sha256: sha256, crypt: crypt)
        index.wal[name] = .init(bytes: bytes, modified: modified, sha256: sha256, uploadedAt: Date())
        try index.save(layout)
        outcome.copied.append(OffsiteArchiveIndex.walFolder + "/" + name)
    }

    /// Every file of the base backup's folder, its manifest last: a base backup without its
    /// manifest offsite is not one (``OffsiteArchive`` lists only those the index names).
    private func copyBase(_ base: StoredBaseBackup, crypt: Bool) async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: base.path).filter { $0 != ArchiveLayout.manifestName }.sorted()
        let folder = OffsiteArchiveIndex.baseFolder + "/" + base.name
        for name in names + [ArchiveLayout.manifestName] {
            if Task.isCancelled { throw CancellationError() }
            try await remote.upload(base.path + "/" + name, folder: folder, file: name, sha256: nil, crypt: crypt)
        }
    }

    /// `WAL_KEEP_DAYS` over what is offsite, and the `.partial` copies of segments now offsite complete.
    private func retain(_ index: inout OffsiteArchiveIndex, now: Date, outcome: inout Outcome) async throws {
        let bases = index.storedBases()
        guard let size = bases.last?.manifest.walSegmentSize else { return }
        let wal = index.walFiles(segmentSize: size, folder: OffsiteArchiveIndex.walFolder)
        let plan = WalRetention.plan(bases: bases, wal: wal, now: now, keepDays: keepDays)
        for name in plan.deletedBases {
            // The manifest first: a half-deleted base backup must not look complete.
            try await remote.delete(folder: OffsiteArchiveIndex.baseFolder + "/" + name, file: ArchiveLayout.manifestName)
            index.bases[name] = nil
            try index.save(layout)
            try await remote.purge(OffsiteArchiveIndex.baseFolder + "/" + name)
            outcome.deleted.append(OffsiteArchiveIndex.baseFolder + "/" + name)
        }
        let deleted = Set(plan.deletedWal.map { ($0 as NSString).lastPathComponent })
        let complete = Set(index.wal.keys.filter { !WalSegment.isPartial($0) })
        let stalePartials = index.wal.keys.filter { WalSegment.isPartial($0) && complete.contains(String($0.dropLast(".partial".count))) }
        for name in deleted.union(stalePartials).sorted() {
            try await remote.delete(folder: OffsiteArchiveIndex.walFolder, file: name)
            index.wal[name] = nil
            outcome.deleted.append(OffsiteArchiveIndex.walFolder + "/" + name)
        }
        try index.save(layout)
    }
}
