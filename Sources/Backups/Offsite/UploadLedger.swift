import Foundation
import LaterbaseCore

/// Which backups reached the offsite remote, in `BACKUP_DIR/.laterbase/uploads.json`.
public struct UploadLedger: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var uploadedAt: Date?
        public var attempts: Int = 0
        public var lastError: String?
        public var lastAttempt: Date?
        /// The file already offsite that the remote copied into this one (no upload).
        public var copiedFrom: String?
        public init() {}
    }

    /// Keyed by `folder/file`.
    public var entries: [String: Entry] = [:]

    public init() {}

    public func isUploaded(_ backup: StoredBackup) -> Bool { entries[backup.relativePath]?.uploadedAt != nil }

    public static func load(_ layout: BackupLayout) -> UploadLedger {
        guard let data = FileManager.default.contents(atPath: layout.stateDirectory + "/uploads.json") else { return UploadLedger() }
        return (try? JSONCoding.decoder.decode(UploadLedger.self, from: data)) ?? UploadLedger()
    }

    public func save(_ layout: BackupLayout) throws {
        try SecureFile.writeAtomically(try JSONCoding.encoder.encode(self), to: layout.stateDirectory + "/uploads.json", mode: 0o644)
    }
}
