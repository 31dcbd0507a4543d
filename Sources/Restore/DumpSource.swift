import Backups
import Foundation
import LaterbaseCore

/// A dump file as a restore's source (`restore FILE`, `verify --restore-test`, the console):
/// checked against its manifest (SHA-256 and a full gzip decode) before anything is made, then
/// decoded again into psql between `BEGIN` and a `COMMIT` sent only after the last byte: a feed
/// cut short (the agent killed) commits nothing.
public struct DumpSource: RestoreSource {
    public let backup: StoredBackup
    /// `verify --restore-test` has just checked it.
    public var skipChecksum = false
    /// Called with the bytes of SQL fed to psql so far, after each chunk (the console's progress
    /// bar; the total is the manifest's `rawBytes`).
    public var progress: (@Sendable (Int64) -> Void)?

    public init(_ backup: StoredBackup, skipChecksum: Bool = false, progress: (@Sendable (Int64) -> Void)? = nil) {
        self.backup = backup
        self.skipChecksum = skipChecksum
        self.progress = progress
    }

    public var label: String { backup.file }
    public var logName: String { backup.relativePath }
    public var restoredName: String { backup.file }

    /// Checks the file against its manifest: SHA-256 and a full gzip decode. Returns the result.
    /// - Throws: ``RestoreError`` `.checksumMismatch`, or the reader's error for a damaged file.
    public static func verifyChecksum(_ backup: StoredBackup) async throws -> GzipReader.Result {
        let result = try await GzipReader.read(backup.path)
        if let manifest = backup.manifest, manifest.sha256 != result.sha256 {
            throw RestoreError(.checksumMismatch, "\(backup.relativePath) does not match its manifest (SHA-256 \(result.sha256.prefix(12))…, expected \(manifest.sha256.prefix(12))…); the file is damaged: use another backup")
        }
        return result
    }

    public func write(into library: NewLibrary) async throws {
        if !skipChecksum { _ = try await Self.verifyChecksum(backup) }
        let (path, progress) = (backup.path, progress)
        try await library.fill(from: self) {
            try await library.target.psql(into: library.workingName, singleTransaction: false).run(feeding: { write in
                try await write(Array("BEGIN;\n".utf8))
                var fed: Int64 = 0
                _ = try await GzipReader.read(path) { chunk in
                    try await write(chunk)
                    fed += Int64(chunk.count)
                    progress?(fed)
                }
                try await write(Array("\nCOMMIT;\n".utf8))
            }, onOutput: { _ in })
        }
    }
}
