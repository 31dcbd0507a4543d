import Foundation
import LaterbaseCore

/// A complete base backup in `BACKUP_DIR/.base/<stamp>/`: `base.tar.gz`, `pg_wal.tar.gz`
/// (the WAL it needs to become consistent) and its manifest. Folders under a temporary name or
/// without a readable manifest are not listed.
public struct StoredBaseBackup: Sendable, Equatable {
    public let name: String
    public let path: String
    public let manifest: BaseBackupManifest

    public init(name: String, path: String, manifest: BaseBackupManifest) {
        self.name = name
        self.path = path
        self.manifest = manifest
    }

    /// Every complete base backup, oldest first.
    public static func all(in layout: ArchiveLayout) -> [StoredBaseBackup] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.baseDirectory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { name in
            let path = layout.baseDirectory + "/" + name
            guard let data = FileManager.default.contents(atPath: path + "/" + ArchiveLayout.manifestName),
                  let manifest = try? JSONCoding.decoder.decode(BaseBackupManifest.self, from: data) else { return nil }
            return StoredBaseBackup(name: name, path: path, manifest: manifest)
        }.sorted { $0.manifest.startedAt < $1.manifest.startedAt }
    }
}
