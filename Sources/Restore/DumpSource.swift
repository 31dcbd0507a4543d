import Backups
import Foundation
import LaterbaseCore

/// A dump file as a restore's source (`restore FILE`, `verify --restore-test`, the console),
/// read once: decoded into PostgreSQL while its SHA-256 is computed, and checked against its
/// manifest after the last byte, before anything is committed under the name asked for.
/// - One session (`RESTORE_JOBS=1`, ``RestoreTarget/jobs``): psql between `BEGIN` and a `COMMIT` sent only after the
///   checksum matched: a feed cut short (the agent killed) or a mismatch commits nothing.
/// - Several (the default): ``ParallelFeed``, as `pg_restore -j` does; the checksum is known when
///   the last COPY block is fed, before the index builds, and a mismatch stops every session.
/// Either way a damaged file never becomes a library: the new database is dropped
/// (``NewLibrary/fill(from:_:)``) and the error is the checksum's one line.
public struct DumpSource: RestoreSource {
    public let backup: StoredBackup
    /// Called with the bytes of SQL fed to psql so far, after each chunk (the console's progress
    /// bar; the total is the manifest's `rawBytes`).
    public var progress: (@Sendable (Int64) -> Void)?

    public init(_ backup: StoredBackup, progress: (@Sendable (Int64) -> Void)? = nil) {
        self.backup = backup
        self.progress = progress
    }

    public var label: String { backup.file }
    public var logName: String { backup.relativePath }
    public var restoredName: String { backup.file }

    /// Checks the file against its manifest: SHA-256 and a full gzip decode. Returns the result.
    /// - Throws: ``RestoreError`` `.checksumMismatch`, or the reader's error for a damaged file.
    public static func verifyChecksum(_ backup: StoredBackup) async throws -> GzipReader.Result {
        let result = try await GzipReader.read(backup.path)
        try check(result, backup)
        return result
    }

    static func check(_ result: GzipReader.Result, _ backup: StoredBackup) throws {
        if let manifest = backup.manifest, manifest.sha256 != result.sha256 {
            throw RestoreError(.checksumMismatch, "\(backup.relativePath) does not match its manifest (SHA-256 \(result.sha256.prefix(12))…, expected \(manifest.sha256.prefix(12))…); the file is damaged: use another backup")
        }
    }

    public func write(into library: NewLibrary) async throws {
        try await library.fill(from: self) {
            if library.target.jobs > 1 {
                try await parallel(into: library)
            } else {
                try await single(into: library)
            }
        }
    }

    private func single(into library: NewLibrary) async throws {
        let (backup, progress) = (backup, progress)
        try await library.target.psql(into: library.workingName, singleTransaction: false).run(feeding: { write in
            try await write(Array("BEGIN;\n".utf8))
            var fed: Int64 = 0
            let result = try await GzipReader.read(backup.path) { chunk in
                try await write(chunk)
                fed += Int64(chunk.count)
                progress?(fed)
            }
            try Self.check(result, backup)
            try await write(Array("\nCOMMIT;\n".utf8))
        }, onOutput: { _ in })
    }

    private func parallel(into library: NewLibrary) async throws {
        let (backup, progress) = (backup, progress)
        try await ParallelFeed.fill(library) { feed in
            var fed: Int64 = 0
            let result = try await GzipReader.read(backup.path) { chunk in
                try await feed.consume(chunk)
                fed += Int64(chunk.count)
                progress?(fed)
            }
            try Self.check(result, backup)
        }
    }
}
