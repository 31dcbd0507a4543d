import Backups
import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// `backup-agent rebuild-local`: refills `BACKUP_DIR` from the remote after a disk replacement,
/// so the hourly passes, retention and the undo window continue where the remote left off.
///
/// Fetched: every dump with its manifest that is not already there (recorded as offsite, so it is
/// not copied back); every base backup the remote's index names and every complete WAL segment
/// and `.history` file, with the write times the index recorded; then the index itself, so the
/// next sync continues it. The newest copy of the open segment (`.partial`) is fetched too: the
/// receiver streams that segment again from its start when the Resolve server still has it, and
/// otherwise sets the archive aside and starts afresh (a gap the next base backup closes), as
/// after any long outage. Each file goes in under a temporary name, checked; a rebuild cut short
/// is run again and fetches only what is missing. It refuses while `backup-agent run` holds the
/// WAL archive.
public struct OffsiteRebuild: Sendable {
    public let fetch: OffsiteFetch
    public let layout: BackupLayout

    public init(fetch: OffsiteFetch, layout: BackupLayout) {
        self.fetch = fetch
        self.layout = layout
    }

    public struct Outcome: Sendable, Equatable {
        public var dumps = 0
        public var baseBackups = 0
        public var walFiles = 0
        public var bytes: Int64 = 0
        public var summary: String {
            "fetched \(dumps) backup(s), \(baseBackups) base backup(s) and \(walFiles) WAL file(s), \(ByteText.text(bytes)); backup-agent run continues from here"
        }
    }

    public func run() async throws -> Outcome {
        let archive = ArchiveLayout(root: layout.root)
        // A new BACKUP_DIR: traversable (not listable) for the postgres account, whose scratch server restore --at runs below it.
        try SecureDirectory.create(layout.root, mode: 0o711)
        try SecureDirectory.create(layout.stateDirectory, mode: 0o700)
        try SecureDirectory.create(archive.walDirectory, mode: 0o700)
        guard let receiver = try DirectoryLock.tryAcquire(archive.receiverLock) else {
            throw BackupError(.lockHeld, "backup-agent run is writing \(archive.walDirectory); stop it first (docker compose stop laterbase-backup-agent), then rebuild-local")
        }
        defer { receiver.release() }
        let lock = try await DirectoryLock.acquire(layout.lockFile, folder: layout.root, timeout: .seconds(2))
        defer { lock.release() }

        let dumps = try await fetch.dumps()
        let index = try? await fetch.index()
        let bases = index?.storedBases() ?? []
        var baseFiles: [(base: String, file: RcloneRemote.RemoteFile)] = []
        for base in bases {
            baseFiles += try await fetch.remote.list(OffsiteArchiveIndex.baseFolder + "/" + base.name).map { (base.name, $0) }
        }
        let names = Set((index?.wal ?? [:]).keys)
        // A .partial whose segment is offsite complete is superseded.
        let wal = (index?.wal ?? [:]).filter { !WalSegment.isPartial($0.key) || !names.contains(String($0.key.dropLast(".partial".count))) }
            .sorted { $0.key < $1.key }
        func manifestName(_ dump: OffsiteFetch.RemoteDump) -> String { (BackupLayout.manifestPath(forBackup: dump.file) as NSString).lastPathComponent }
        let targets = dumps.map { (layout.root + "/" + $0.relativePath, $0.size) }
            + baseFiles.map { (archive.baseDirectory + "/" + $0.base + "/" + $0.file.name, $0.file.size) }
            + wal.map { (archive.walDirectory + "/" + $0.key, $0.value.bytes) }
        let total = targets.reduce(Int64(0)) { $0 + $1.1 }
        try fetch.requireSpace(total, already: targets.map(\.0))
        fetch.logger.info("rebuilding BACKUP_DIR from the remote", metadata: [
            "backups": "\(dumps.count)", "base_backups": "\(bases.count)", "wal_files": "\(wal.count)", "bytes": "\(total)",
        ])

        var outcome = Outcome()
        var ledger = UploadLedger.load(layout)
        for dump in dumps {
            try Task.checkCancellation()
            let path = layout.root + "/" + dump.relativePath
            let manifest = manifestName(dump)
            try await fetch.fetch(dump.folder, manifest, to: layout.root + "/" + dump.folder + "/" + manifest, size: nil)
            if OffsiteFetch.size(of: path) != dump.size { outcome.bytes += dump.size; outcome.dumps += 1 }
            try await fetch.fetch(dump.folder, dump.file, to: path, size: dump.size)
            var entry = ledger.entries[dump.relativePath] ?? UploadLedger.Entry()
            entry.uploadedAt = entry.uploadedAt ?? Date()
            ledger.entries[dump.relativePath] = entry
            try ledger.save(layout)
        }
        for base in bases {
            let folder = OffsiteArchiveIndex.baseFolder + "/" + base.name
            let local = archive.baseDirectory + "/" + base.name
            let files = baseFiles.filter { $0.base == base.name }.map(\.file)
            guard files.contains(where: { $0.name == ArchiveLayout.manifestName }) else { continue }
            if !FileManager.default.fileExists(atPath: local + "/" + ArchiveLayout.manifestName) { outcome.baseBackups += 1 }
            for file in files where file.name != ArchiveLayout.manifestName {
                try Task.checkCancellation()
                if OffsiteFetch.size(of: local + "/" + file.name) != file.size { outcome.bytes += file.size }
                try await fetch.fetch(folder, file.name, to: local + "/" + file.name, size: file.size)
            }
            // The manifest last: until then the folder is not a base backup.
            try await fetch.fetch(folder, ArchiveLayout.manifestName, to: local + "/" + ArchiveLayout.manifestName, size: nil)
        }
        for (name, entry) in wal {
            try Task.checkCancellation()
            let path = archive.walDirectory + "/" + name
            if OffsiteFetch.size(of: path) != entry.bytes { outcome.bytes += entry.bytes; outcome.walFiles += 1 }
            try await fetch.fetch(OffsiteArchiveIndex.walFolder, index?.object(name) ?? name, to: path, size: entry.bytes, sha256: entry.sha256)
            try FileManager.default.setAttributes([.modificationDate: entry.modified], ofItemAtPath: path)
        }
        if var index {
            // Continued by the next sync: nothing fetched is copied back.
            index.lastError = nil
            try index.save(archive)
        }
        return outcome
    }
}
