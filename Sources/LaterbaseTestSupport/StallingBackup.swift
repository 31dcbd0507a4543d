import Backups
import Foundation
import LaterbaseCore

/// A backup whose restore stops inside psql's transaction until someone ends it, so a test can
/// stop a restore mid-way however fast the machine is (a big library only made that likely).
///
/// It is a copy of a library's newest backup, one second newer, with `SELECT pg_sleep(600);`
/// appended as a second gzip member (concatenated members are valid gzip) and a manifest that
/// matches the new bytes. Its restore loads every table, uncommitted, then waits.
public enum StallingBackup {
    public static let statement = "SELECT pg_sleep(600);"
    private static let pattern = "%pg_sleep(600)%"

    /// Makes the copy beside the newest backup of `database` under `backupDirectory`.
    /// - Returns: its path relative to `backupDirectory` (`folder/file`).
    public static func make(of database: String, in backupDirectory: String) async throws -> String {
        let layout = BackupLayout(root: backupDirectory)
        guard let newest = StoredBackup.all(in: layout).first(where: { $0.database == database }), var manifest = newest.manifest else {
            throw ClusterError("no backup of \(database) with a manifest in \(backupDirectory)")
        }
        let file = BackupLayout.fileName(database: database, at: newest.time.addingTimeInterval(1))
        let path = backupDirectory + "/" + newest.folder + "/" + file
        try FileManager.default.copyItem(atPath: newest.path, toPath: path)
        let descriptor = open(path, O_WRONLY | O_APPEND)
        guard descriptor >= 0 else { throw ClusterError("cannot open \(path): errno \(errno)") }
        defer { close(descriptor) }
        let writer = ParallelGzipWriter(descriptor: descriptor, level: 1)
        try await writer.write(Array("\n\(statement)\n".utf8))
        _ = try await writer.finish()
        let written = try await GzipReader.read(path)
        manifest.file = file
        manifest.sha256 = written.sha256
        manifest.rawBytes = written.rawBytes
        manifest.compressedBytes = written.compressedBytes
        manifest.unchangedFrom = nil
        try manifest.encoded().write(to: URL(fileURLWithPath: BackupLayout.manifestPath(forBackup: path)))
        return newest.folder + "/" + file
    }

    /// Waits (up to 150 s) until a restore's psql (`laterbase-restore`) runs ``statement``.
    public static func waitUntilStalled(_ cluster: PostgresCluster) async -> Bool {
        // Generous: CI's PostgreSQL 13 pass, a hundred suites at once on two cores, once took more
        // than 60 s to get a parallel restore's last session there (its set-up alone took 85 s).
        await poll(timeout: .seconds(150), every: .milliseconds(100)) {
            let count = try? await cluster.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'laterbase-restore' AND query LIKE $1", [pattern]).scalar
            return count == "1"
        }
    }
}
