import Foundation
import LaterbaseCore

/// What of the undo window is offsite: every WAL file copied to `remote:path/.wal/` (with the
/// time pg_receivewal last wrote it and its SHA-256, which a remote's own listing cannot be
/// trusted to keep) and every base backup copied to `remote:path/.base/<stamp>/`.
///
/// Kept in `BACKUP_DIR/.laterbase/offsite-archive.json` as the upload ledger of
/// ``OffsiteArchiveSync``, and copied to `remote:path/.wal/laterbase-wal.json` after each sync,
/// where `list --offsite` and `restore --from-offsite` read it: a file is listed only once its
/// copy was checked, so the index never names a half-copied object.
public struct OffsiteArchiveIndex: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var bytes: Int64
        /// When pg_receivewal last wrote the local file (its modification time), to the
        /// microsecond: stored as seconds since 1970 (ISO 8601 keeps whole seconds, and a
        /// `.partial` rewritten within the second must not look unchanged).
        public var modified: Date {
            get { Date(timeIntervalSince1970: mtime) }
            set { mtime = newValue.timeIntervalSince1970 }
        }
        private var mtime: Double
        /// The remote object's name when it is not the file's: each copy of a `.partial` is a new
        /// object (`<name>.<ms>`), so the object the index names is never being overwritten.
        public var object: String?
        public var sha256: String
        public var uploadedAt: Date
        /// Whether the file was last written at `date` (to 10 µs: seconds since 1970 in a
        /// Double do not give back the very same `Date`).
        public func written(at date: Date) -> Bool { abs(modified.timeIntervalSince(date)) < 0.000_01 }

        public init(bytes: Int64, modified: Date, sha256: String, uploadedAt: Date) {
            self.bytes = bytes
            self.mtime = modified.timeIntervalSince1970
            self.sha256 = sha256
            self.uploadedAt = uploadedAt
        }
    }

    public var formatVersion = 1
    /// By file name: complete segments, `.history` files, and the receiver's `.partial`s.
    public var wal: [String: Entry] = [:]
    /// Base backups whose every file, manifest last, is offsite, with their manifests (so
    /// offsite retention and `restore --from-offsite` need no local copy of them).
    public var bases: [String: BaseBackupManifest] = [:]
    /// The receiver had streamed everything up to this moment and all of it was offsite (nil:
    /// the newest WAL copy is the end of the offsite window).
    public var streamedUntil: Date?
    /// Remote objects no longer named by the index, deleted once the index without them is
    /// offsite: paths below `remote:path`, a folder with a trailing `/`.
    public var pendingDeletes: [String] = []
    /// When a `.partial` was last copied (they are copied at most every third of `OFFSITE_MAX_WAL_LAG`).
    public var partialCopiedAt: Date?
    /// The last sync's failure, one line (only in the local copy).
    public var lastError: String?
    public var lastSync: Date?

    public init() {}

    /// The index's name in `remote:path/.wal/`.
    public static let remoteName = "laterbase-wal.json"
    /// The remote folders of the undo window.
    public static let walFolder = ".wal"
    public static let baseFolder = ".base"

    public static func path(_ layout: ArchiveLayout) -> String { layout.root + "/.laterbase/offsite-archive.json" }

    public static func load(_ layout: ArchiveLayout) -> OffsiteArchiveIndex {
        guard let data = FileManager.default.contents(atPath: path(layout)) else { return OffsiteArchiveIndex() }
        return (try? JSONCoding.decoder.decode(OffsiteArchiveIndex.self, from: data)) ?? OffsiteArchiveIndex()
    }

    public func save(_ layout: ArchiveLayout) throws {
        try FileManager.default.createDirectory(atPath: layout.root + "/.laterbase", withIntermediateDirectories: true)
        try SecureFile.writeAtomically(try JSONCoding.encoder.encode(self), to: Self.path(layout), mode: 0o600)
    }

    /// The copy for the remote: without the local failure.
    public func forRemote() throws -> Data {
        var copy = self
        copy.lastError = nil
        return try JSONCoding.encoder.encode(copy)
    }

    /// The remote object holding WAL file `name`.
    public func object(_ name: String) -> String { wal[name]?.object ?? name }

    /// The WAL files the index lists, as ``WalFile``s whose path is `folder/<name>` (pure).
    public func walFiles(segmentSize: UInt64, folder: String) -> [WalFile] {
        WalFile.bestPerSegment(wal.compactMap { name, entry in
            WalSegment(fileName: name, segmentSize: segmentSize).map { segment in
                WalFile(fileName: name, path: folder + "/" + name, segment: segment, isPartial: WalSegment.isPartial(name),
                        modified: entry.modified, bytes: entry.bytes)
            }
        })
    }

    /// The base backups the index lists, oldest first, as ``StoredBaseBackup``s whose path is `.base/<name>` (pure).
    public func storedBases() -> [StoredBaseBackup] {
        bases.map { StoredBaseBackup(name: $0.key, path: Self.baseFolder + "/" + $0.key, manifest: $0.value) }
            .sorted { $0.manifest.startedAt < $1.manifest.startedAt }
    }

    /// What the offsite copy can restore (pure).
    public var window: UndoWindow {
        let bases = storedBases()
        return UndoWindow(bases: bases, wal: walFiles(segmentSize: bases.last?.manifest.walSegmentSize ?? 16 * 1024 * 1024, folder: Self.walFolder),
                          streamedUntil: streamedUntil)
    }
}
