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
/// lag), and the next sync copies what is not offsite yet. One sync at a time
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
            try retain(&index, now: now)
            index.lastError = nil
            index.lastSync = now
            try await remote.write(try index.forRemote(), folder: OffsiteArchiveIndex.walFolder, file: OffsiteArchiveIndex.remoteName, crypt: crypt)
            try? index.save(layout)
            await deletePending(&index, outcome: &outcome)
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
            do {
                try await copyWal(file.path, name: file.fileName, into: &index, crypt: crypt, outcome: &outcome)
            } catch where !FileManager.default.fileExists(atPath: file.path) {
                // Removed meanwhile by the local retention (a new base backup made it unneeded):
                // nothing to copy, and whatever part of it reached the remote goes.
                index.pendingDeletes.append(OffsiteArchiveIndex.walFolder + "/" + file.fileName)
                continue
            }
        }
        for base in snapshot.bases where index.bases[base.name] == nil {
            try await copyBase(base, crypt: crypt)
            index.bases[base.name] = base.manifest
            try index.save(layout)
            outcome.copied.append(OffsiteArchiveIndex.baseFolder + "/" + base.name)
        }
        // The rolling copy of the segment being written: changed since its last copy, and not too often.
        if let partial = snapshot.wal.last, partial.isPartial, index.wal[partial.fileName]?.written(at: partial.modified) != true,
           now.timeIntervalSince(index.partialCopiedAt ?? .distantPast) >= partialInterval {
            do {
                try await copyWal(partial.path, name: partial.fileName, into: &index, crypt: crypt, outcome: &outcome)
                index.partialCopiedAt = now
            } catch where !FileManager.default.fileExists(atPath: partial.path) {
                // pg_receivewal finished the segment meanwhile (renamed it): the next sync copies it complete.
            }
        }
        // Everything local is offsite: the remote holds the WAL up to where the receiver streamed.
        let allCopied = snapshot.wal.allSatisfy { index.wal[$0.fileName]?.written(at: $0.modified) == true }
        index.streamedUntil = allCopied ? snapshot.receiver?.streamedUntil : nil
    }

    /// Copies one WAL file. A `.partial` is still being written by pg_receivewal: a private
    /// snapshot of it is hashed and copied, recorded with the write time read before the
    /// snapshot (it holds at least the WAL up to then).
    private func copyWal(_ path: String, name: String, into index: inout OffsiteArchiveIndex, crypt: Bool, outcome: inout Outcome) async throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let modified = attributes[.modificationDate] as? Date ?? Date()
        var source = path
        if WalSegment.isPartial(name) {
            source = layout.root + "/.laterbase/offsite-partial.snapshot"
            try? FileManager.default.removeItem(atPath: source)
            try FileManager.default.copyItem(atPath: path, toPath: source)
        }
        defer { if source != path { try? FileManager.default.removeItem(atPath: source) } }
        let bytes = ((try FileManager.default.attributesOfItem(atPath: source))[.size] as? NSNumber)?.int64Value ?? 0
        let sha256 = try await SecureFile.digest(of: source, using: SHA256.self)
        let object = WalSegment.isPartial(name) ? "\(name).\(Int64(modified.timeIntervalSince1970 * 1000))" : name
        try await remote.upload(source, folder: OffsiteArchiveIndex.walFolder, file: object, sha256: sha256, crypt: crypt)
        if let previous = index.wal[name]?.object, previous != object { index.pendingDeletes.append(OffsiteArchiveIndex.walFolder + "/" + previous) }
        index.wal[name] = .init(bytes: bytes, modified: modified, sha256: sha256, uploadedAt: Date())
        if object != name { index.wal[name]?.object = object }
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

    /// `WAL_KEEP_DAYS` over what is offsite, and the `.partial` copies of segments now offsite
    /// complete: dropped from the index, their objects deleted once the index is offsite.
    private func retain(_ index: inout OffsiteArchiveIndex, now: Date) throws {
        let bases = index.storedBases()
        guard let size = bases.last?.manifest.walSegmentSize else { return }
        let wal = index.walFiles(segmentSize: size, folder: OffsiteArchiveIndex.walFolder)
        let plan = WalRetention.plan(bases: bases, wal: wal, now: now, keepDays: keepDays)
        for name in plan.deletedBases {
            index.bases[name] = nil
            index.pendingDeletes.append(OffsiteArchiveIndex.baseFolder + "/" + name + "/")
        }
        let deleted = Set(plan.deletedWal.map { ($0 as NSString).lastPathComponent })
        let complete = Set(index.wal.keys.filter { !WalSegment.isPartial($0) })
        let stalePartials = index.wal.keys.filter { WalSegment.isPartial($0) && complete.contains(String($0.dropLast(".partial".count))) }
        for name in deleted.union(stalePartials).sorted() {
            index.pendingDeletes.append(OffsiteArchiveIndex.walFolder + "/" + index.object(name))
            index.wal[name] = nil
        }
        try index.save(layout)
    }

    /// Deletes the objects the index offsite no longer names; one that fails stays for the next sync.
    private func deletePending(_ index: inout OffsiteArchiveIndex, outcome: inout Outcome) async {
        var left: [String] = []
        for path in index.pendingDeletes {
            do {
                if path.hasSuffix("/") {
                    try await remote.purge(String(path.dropLast()))
                } else {
                    try await remote.delete(folder: (path as NSString).deletingLastPathComponent, file: (path as NSString).lastPathComponent)
                }
                outcome.deleted.append(path)
            } catch {
                left.append(path)
                logger.notice("an offsite object of the undo window could not be deleted; retried next time", metadata: [LogKey.path: "\(path)", LogKey.error: "\(oneLine(error))"])
            }
        }
        index.pendingDeletes = left
        try? index.save(layout)
    }
}
