import Backups
import Crypto
import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// Restores from the remote alone (`restore --from-offsite`, `list --offsite`): lists what the
/// remote holds and fetches what one restore needs into `BACKUP_DIR/.offsite-fetch/`, laid out
/// as a backup folder (a dump and its manifest) or an archive (one base backup, the WAL up to
/// TIME, the timeline history files), so today's restore paths run on it unchanged.
///
/// Every fetched file is checked (WAL against the SHA-256 the index recorded, a dump against its
/// manifest while it is restored, base backup files by size), written under a temporary name
/// and renamed only once complete, and kept after a failure: the next try fetches only what is
/// missing (``remove()`` once the restore succeeded). The bytes still to fetch must fit in the
/// free space first.
public struct OffsiteFetch: Sendable {
    public let remote: RcloneRemote
    /// `BACKUP_DIR/.offsite-fetch`.
    public let staging: String
    public let logger: Logger

    public init(remote: RcloneRemote, backupDirectory: String, logger: Logger) {
        self.remote = remote
        self.staging = backupDirectory + "/.offsite-fetch"
        self.logger = logger
    }

    /// One dump on the remote.
    public struct RemoteDump: Sendable, Equatable {
        /// `Resolve/Resolve_backup_20261124_150000.sql.gz`.
        public let relativePath: String
        public let size: Int64
        public let time: Date
        public var folder: String { (relativePath as NSString).deletingLastPathComponent }
        public var file: String { (relativePath as NSString).lastPathComponent }
    }

    /// Every dump on the remote, newest first per library folder.
    public func dumps() async throws -> [RemoteDump] {
        try await remote.list("", depth: 2).compactMap { file in
            let parts = file.path.split(separator: "/")
            guard parts.count == 2, !parts[0].hasPrefix("."), file.name.hasSuffix(BackupLayout.fileSuffix),
                  let time = BackupLayout.time(ofFileName: file.name) else { return nil }
            return RemoteDump(relativePath: file.path, size: file.size, time: time)
        }.sorted { ($0.folder, $1.time) < ($1.folder, $0.time) }
    }

    /// The remote's undo window index; throws when the remote holds none.
    public func index() async throws -> OffsiteArchiveIndex {
        guard let data = try await remote.read(OffsiteArchiveIndex.walFolder, OffsiteArchiveIndex.remoteName) else {
            throw ArchiveError(.noBaseBackup, "\(remote.location(OffsiteArchiveIndex.walFolder)) holds no undo window (\(OffsiteArchiveIndex.remoteName)); it is copied with WAL_ARCHIVE=on and a remote set")
        }
        do {
            return try JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: data)
        } catch {
            throw ArchiveError(.badBaseBackup, "\(remote.target(OffsiteArchiveIndex.walFolder, OffsiteArchiveIndex.remoteName)) cannot be read: \(oneLine(error))")
        }
    }

    /// Fetches the dump named `reference` (a file name or `folder/file`), or the newest one of
    /// `database`, with its manifest; returns it as a ``StoredBackup`` of the staging folder.
    public func fetchDump(_ reference: String?, database: String?) async throws -> StoredBackup {
        let all = try await dumps()
        let chosen: RemoteDump?
        if let reference {
            chosen = all.first { $0.relativePath == reference || $0.file == reference }
        } else if let database {
            chosen = all.first { $0.folder == BackupLayout.folderName(for: database) }
        } else {
            chosen = nil
        }
        guard let dump = chosen else {
            let what = reference.map { "no backup \"\($0)\"" } ?? "no backup of \"\(database ?? "")\""
            throw BackupError(.notFound, "\(what) on \(remote.location("")); run `backup-agent list --offsite` to see the remote's backups")
        }
        let manifest = (BackupLayout.manifestPath(forBackup: dump.file) as NSString).lastPathComponent
        let layout = BackupLayout(root: staging)
        try requireSpace(dump.size, already: [layout.root + "/" + dump.relativePath])
        try await fetch(dump.folder, manifest, to: layout.root + "/" + dump.folder + "/" + manifest, size: nil)
        try await fetch(dump.folder, dump.file, to: layout.root + "/" + dump.relativePath, size: dump.size)
        return try StoredBackup.find(dump.relativePath, in: layout)
    }

    /// Fetches one base backup and the WAL that restores `time` (``UndoWindow/base(for:)`` over
    /// the remote's index) into the staging folder; returns it as an archive for ``PointInTimeRestore``.
    public func fetchArchive(for time: Date) async throws -> ArchiveLayout {
        let index = try await index()
        let span = try index.window.base(for: time).get()
        guard let base = index.storedBases().first(where: { $0.name == span.base }), let start = base.manifest.startSegment else {
            throw ArchiveError(.badBaseBackup, "the offsite base backup for \(UndoWindow.text(time)) has an unreadable manifest")
        }
        let all = index.walFiles(segmentSize: base.manifest.walSegmentSize, folder: OffsiteArchiveIndex.walFolder)
        let needed = PointInTimeRestore.segments(all, from: start.number, through: span.lastSegment?.number, covering: time)
        // Two more of the unbroken run, in case the write times do not quite cover TIME.
        let run = PointInTimeRestore.segments(all, from: start.number, through: span.lastSegment?.number, covering: .distantFuture)
        let wal = Array(run.prefix(needed.count + 2))
        let histories = index.wal.keys.filter { $0.hasSuffix(".history") }.sorted()
        let layout = ArchiveLayout(root: staging)
        let baseFolder = OffsiteArchiveIndex.baseFolder + "/" + base.name
        let baseFiles = try await remote.list(baseFolder)
        guard baseFiles.contains(where: { $0.name == ArchiveLayout.manifestName }) else {
            throw ArchiveError(.badBaseBackup, "\(remote.location(baseFolder)) lacks \(ArchiveLayout.manifestName): the base backup is not complete offsite")
        }
        let localBase = layout.baseDirectory + "/" + base.name
        let targets = baseFiles.map { (localBase + "/" + $0.name, $0.size) } + wal.map { (layout.walDirectory + "/" + $0.fileName, $0.bytes) }
        try requireSpace(targets.reduce(0) { $0 + $1.1 }, already: targets.map(\.0))
        logger.info("fetching from the remote", metadata: ["base": "\(base.name)", "wal_files": "\(wal.count)", "remote": "\(remote.location(""))"])
        // Only this base backup: another one left by an earlier fetch would change which one restores TIME.
        for other in (try? FileManager.default.contentsOfDirectory(atPath: layout.baseDirectory)) ?? [] where other != base.name {
            try? FileManager.default.removeItem(atPath: layout.baseDirectory + "/" + other)
        }
        for file in baseFiles where file.name != ArchiveLayout.manifestName {
            try await fetch(baseFolder, file.name, to: localBase + "/" + file.name, size: file.size)
        }
        for name in histories {
            try await fetch(OffsiteArchiveIndex.walFolder, name, to: layout.walDirectory + "/" + name, size: index.wal[name]?.bytes, sha256: index.wal[name]?.sha256)
        }
        for file in wal {
            guard let entry = index.wal[file.fileName] else { continue }
            let path = layout.walDirectory + "/" + file.fileName
            try await fetch(OffsiteArchiveIndex.walFolder, index.object(file.fileName), to: path, size: entry.bytes, sha256: entry.sha256)
            // The write time pg_receivewal gave it: the window and the choice of segments rest on it.
            try FileManager.default.setAttributes([.modificationDate: entry.modified], ofItemAtPath: path)
        }
        // The manifest last: a base backup folder without it is not taken for a complete one.
        try await fetch(baseFolder, ArchiveLayout.manifestName, to: localBase + "/" + ArchiveLayout.manifestName, size: nil)
        // An idle primary writes no WAL: the remote's window reaches where the receiver had streamed.
        if wal.last == all.last, let until = index.streamedUntil {
            ReceiverStatus(state: .stopped, since: until, updatedAt: until, streamedUntil: until).save(layout)
        } else {
            try? FileManager.default.removeItem(atPath: layout.receiverStatusFile)
        }
        return layout
    }

    /// Removes the staging folder (after a restore that succeeded).
    public func remove() { try? FileManager.default.removeItem(atPath: staging) }

    /// Copies one file into `path` through `path.fetching`, unless it is there already with the
    /// right size (and SHA-256); throws ``OffsiteError`` when the fetched bytes differ.
    func fetch(_ folder: String, _ file: String, to path: String, size: Int64?, sha256: String? = nil) async throws {
        let manager = FileManager.default
        if let size, Self.size(of: path) == size, try await matches(path, sha256) { return }
        try SecureDirectory.create((path as NSString).deletingLastPathComponent, mode: 0o700)
        let temporary = path + ".fetching"
        defer { unlink(temporary) }
        try await remote.download(folder, file, to: temporary)
        if let size, Self.size(of: temporary) != size {
            throw OffsiteError(.sizeMismatch, "\(remote.target(folder, file)) arrived with \(Self.size(of: temporary) ?? -1) bytes, expected \(size)")
        }
        guard try await matches(temporary, sha256) else {
            throw OffsiteError(.hashMismatch, "\(remote.target(folder, file)) does not match the SHA-256 the offsite index recorded; the remote copy is damaged")
        }
        if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
        try manager.moveItem(atPath: temporary, toPath: path)
        // The progress of a fetch, one line per file.
        logger.info("fetched", metadata: [LogKey.file: "\(folder)/\(file)", "bytes": "\(Self.size(of: path) ?? 0)"])
    }

    private func matches(_ path: String, _ sha256: String?) async throws -> Bool {
        guard let sha256 else { return true }
        return try await SecureFile.digest(of: path, using: SHA256.self) == sha256
    }

    static func size(of path: String) -> Int64? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value
    }

    /// Refuses (one line) when the bytes still to fetch do not fit in the free space of `BACKUP_DIR`.
    func requireSpace(_ total: Int64, already paths: [String]) throws {
        let present = paths.compactMap(Self.size(of:)).reduce(0, +)
        let needed = max(0, total - present)
        // Traversable (not listable) for the postgres account, as BACKUP_DIR: the scratch server of restore --at lives below.
        try SecureDirectory.create(staging, mode: 0o711)
        guard let free = ScratchSpace.free(at: staging), needed > free.available else { return }
        throw ArchiveError(.scratch, "fetching from the remote needs \(ByteText.text(needed)) under \(staging), only \(ByteText.text(free.available)) is free; free space in BACKUP_DIR and try again")
    }
}
