import Foundation
import LaterbaseCore

/// What Laterbase has checked of which backup file, in `BACKUP_DIR/.laterbase/verified.json`
/// (0600): per file (device and inode, so hard-linked names share one entry) the size and
/// modification time it had and the SHA-256 its bytes had then, or the problem reading them.
/// An entry counts only while the file still has that size and time: a file changed since is
/// read again. So retention, `list` and `healthcheck` know which backups are intact without
/// re-reading a byte on an idle day. A cache: unreadable or missing, it is empty.
public struct VerificationCache: Sendable, Codable, Equatable {
    public var formatVersion = 1
    /// Keyed by ``FileIdentity/file`` (`device:inode`).
    public var entries: [String: Entry] = [:]
    /// The last `verify --all` (by hand or `VERIFY_SCHEDULE`).
    public var lastFullCheck: FullCheck?

    public init() {}

    public struct Entry: Sendable, Codable, Equatable {
        public var size: Int64
        public var modified: Int64
        /// SHA-256 of the bytes, nil when they could not be read to the end.
        public var sha256: String?
        /// Why the file is unusable whatever its manifest says (truncated gzip, corrupt at byte N).
        public var problem: String?
        /// Whether the whole gzip stream was decoded too (not only hashed).
        public var decoded: Bool
        public var checkedAt: Date
    }

    public struct FullCheck: Sendable, Codable, Equatable {
        public var at: Date
        public var files: Int
        /// `folder/file` of each damaged backup.
        public var damaged: [String]
        public init(at: Date, files: Int, damaged: [String]) {
            self.at = at
            self.files = files
            self.damaged = damaged
        }
    }

    /// The entry for this file as it is now (same size and modification time), if any.
    public func entry(for identity: FileIdentity?) -> Entry? {
        guard let identity, let entry = entries[identity.file],
              entry.size == identity.size, entry.modified == identity.modified else { return nil }
        return entry
    }

    public mutating func record(_ identity: FileIdentity, sha256: String?, problem: String?, decoded: Bool, at time: Date = Date()) {
        entries[identity.file] = Entry(size: identity.size, modified: identity.modified, sha256: sha256, problem: problem,
                                       decoded: decoded, checkedAt: time)
    }

    /// Drops the entries of files that are no longer backups.
    public mutating func keepOnly(_ backups: [StoredBackup]) {
        let files = Set(backups.compactMap { $0.identity?.file })
        entries = entries.filter { files.contains($0.key) }
    }

    public static func load(_ layout: BackupLayout) -> VerificationCache {
        guard let data = FileManager.default.contents(atPath: layout.verificationFile),
              let cache = try? JSONCoding.decoder.decode(VerificationCache.self, from: data) else { return VerificationCache() }
        return cache
    }

    public func save(_ layout: BackupLayout) throws {
        try SecureFile.writeAtomically(try JSONCoding.encoder.encode(self), to: layout.verificationFile, mode: 0o600)
    }

    /// Reads the file again, applies `change` and writes it: another process (`verify --all` by
    /// hand beside the agent) may have recorded something meanwhile. Failures are only logged by
    /// the caller: a lost entry costs one more read, never a wrong verdict.
    public static func update(_ layout: BackupLayout, _ change: (inout VerificationCache) -> Void) throws {
        var cache = load(layout)
        change(&cache)
        try cache.save(layout)
    }
}
