import Foundation
import LaterbaseCore

/// A finished backup file found in `BACKUP_DIR`, with its manifest when it has one.
public struct StoredBackup: Sendable, Equatable {
    /// The database, from the manifest (or the folder name when there is none).
    public let database: String
    /// The folder under `BACKUP_DIR`.
    public let folder: String
    /// The `.sql.gz` file name.
    public let file: String
    public let path: String
    /// The time in the file name (UTC).
    public let time: Date
    public let size: Int64
    public let manifest: BackupManifest?
    /// Which file on disk it is (hard-linked names of an unchanged library share one).
    public var identity: FileIdentity? = nil

    /// `folder/file`, the key used for uploads and messages.
    public var relativePath: String { folder + "/" + file }

    /// Every finished backup under `layout.root`, newest first per database, databases by name.
    /// Only regular files named like a backup count (hidden and `.partial` files, and a folder or
    /// link named like a backup, are not backups: ``LibraryEntry``); unreadable manifests count as missing.
    /// - Parameter manifests: false: none is read (each `manifest` nil, the database the folder's
    ///   name), for a caller that needs only names, times and sizes every few minutes.
    public static func all(in layout: BackupLayout, manifests: Bool = true) -> [StoredBackup] {
        let manager = FileManager.default
        var result: [StoredBackup] = []
        for folder in BackupLayout.libraryFolders(in: layout) {
            let directory = layout.root + "/" + folder
            for file in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where !file.hasPrefix(".") {
                guard let time = BackupLayout.time(ofFileName: file) else { continue }
                let path = directory + "/" + file
                guard let identity = FileIdentity.of(path) else { continue }
                let manifest = manifests ? manager.contents(atPath: BackupLayout.manifestPath(forBackup: path)).flatMap { try? BackupManifest.decode($0) } : nil
                let database = manifest?.database ?? (folder.removingPercentEncoding ?? folder)
                result.append(StoredBackup(database: database, folder: folder, file: file, path: path, time: time, size: identity.size,
                                           manifest: manifest, identity: identity))
            }
        }
        return result.sorted { ($0.database, $1.time) < ($1.database, $0.time) }
    }

    /// Finds a backup by absolute path, path relative to `BACKUP_DIR`, or bare file name.
    public static func find(_ reference: String, in layout: BackupLayout) throws -> StoredBackup {
        let all = all(in: layout)
        let standardized = (reference as NSString).standardizingPath
        if let match = all.first(where: { $0.path == standardized || $0.relativePath == reference || $0.file == reference }) {
            return match
        }
        throw BackupError(.notFound, "no backup \"\(reference)\" in \(layout.root); run `backup-agent list` to see the backups")
    }
}
