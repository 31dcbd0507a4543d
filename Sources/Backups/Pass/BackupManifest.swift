import Foundation
import LaterbaseCore

/// The `.json` file beside each backup (DESIGN.md): what it holds, how it was made, how to check it.
public struct BackupManifest: Sendable, Codable, Equatable {
    public static let currentFormat = 1

    public var formatVersion: Int = BackupManifest.currentFormat
    public var database: String
    /// The backup file's name (in the same folder).
    public var file: String
    public var serverVersion: String
    public var pgDumpVersion: String
    public var startedAt: Date
    public var finishedAt: Date
    /// Bytes of SQL before compression.
    public var rawBytes: Int64
    /// Bytes of the `.sql.gz` file.
    public var compressedBytes: Int64
    /// SHA-256 of the `.sql.gz` file (`sha256sum` prints the same).
    public var sha256: String
    /// Fingerprint of the uncompressed SQL; equal fingerprints mean an unchanged library.
    public var contentFingerprint: String
    public var sourceHost: String
    public var sourcePort: Int
    public var compression: Compression
    /// When the library had not changed: the earlier backup whose bytes this file shares (a hard link).
    public var unchangedFrom: String?
    public var resolve: ResolveCatalog
    /// Set when the project list could not be read; the dump itself is complete.
    public var catalogWarning: String?

    /// How the file was compressed.
    public struct Compression: Sendable, Codable, Equatable {
        public var format = "gzip"
        public var level: Int
        public var strategy: DeflateStrategy
        public var blockSize: Int
        public init(level: Int, strategy: DeflateStrategy, blockSize: Int) {
            self.level = level
            self.strategy = strategy
            self.blockSize = blockSize
        }
    }

    public init(database: String, file: String, serverVersion: String, pgDumpVersion: String, startedAt: Date,
                finishedAt: Date, rawBytes: Int64, compressedBytes: Int64, sha256: String, contentFingerprint: String,
                sourceHost: String, sourcePort: Int, compression: Compression, unchangedFrom: String?, resolve: ResolveCatalog) {
        self.database = database
        self.file = file
        self.serverVersion = serverVersion
        self.pgDumpVersion = pgDumpVersion
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rawBytes = rawBytes
        self.compressedBytes = compressedBytes
        self.sha256 = sha256
        self.contentFingerprint = contentFingerprint
        self.sourceHost = sourceHost
        self.sourcePort = sourcePort
        self.compression = compression
        self.unchangedFrom = unchangedFrom
        self.resolve = resolve
    }

    /// Pretty, key-sorted JSON with ISO 8601 dates: stable and readable with `jq`.
    public func encoded() throws -> Data {
        try JSONCoding.encoder.encode(self)
    }

    /// Reads a manifest; throws when it is not one (or of a newer format).
    public static func decode(_ data: Data) throws -> BackupManifest {
        let manifest = try JSONCoding.decoder.decode(BackupManifest.self, from: data)
        guard manifest.formatVersion <= currentFormat else {
            throw BackupError(.manifestTooNew, "manifest format \(manifest.formatVersion) is newer than this backup-agent understands (\(currentFormat)); upgrade Laterbase")
        }
        return manifest
    }
}
