import Foundation
import LaterbaseCore

/// `laterbase-base.json` inside each complete base backup folder: where its WAL starts and
/// ends, when it was taken, and what it needs to be restored (segment size, server version).
public struct BaseBackupManifest: Sendable, Codable, Equatable {
    public var formatVersion = 1
    /// The checkpoint the backup starts from (`backup_manifest`'s WAL-Ranges Start-LSN), `0/2000028`.
    public var startLSN: String
    /// Where the backup becomes consistent: replay must reach it.
    public var endLSN: String
    public var timeline: UInt32
    public var startedAt: Date
    public var finishedAt: Date
    public var walSegmentSize: UInt64
    /// `server_version_num`, e.g. 150004.
    public var serverVersionNumber: Int
    public var serverVersion: String
    /// The databases on the server when the backup started.
    public var databases: [String]
    /// Their OIDs (the folders `base/<oid>` in `base.tar`), so `restore --at` can unpack one
    /// library (``SelectiveUnpack``); nil in manifests written before it was recorded.
    public var databaseOIDs: [String: UInt32]?
    /// `full_page_writes` on the primary when the backup started: ``SelectiveUnpack`` needs it on.
    public var fullPageWrites: Bool?
    public var bytes: Int64
    public var sourceHost: String

    public init(startLSN: String, endLSN: String, timeline: UInt32, startedAt: Date, finishedAt: Date, walSegmentSize: UInt64,
                serverVersionNumber: Int, serverVersion: String, databases: [String], databaseOIDs: [String: UInt32]? = nil,
                fullPageWrites: Bool? = nil, bytes: Int64, sourceHost: String) {
        self.startLSN = startLSN
        self.endLSN = endLSN
        self.timeline = timeline
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.walSegmentSize = walSegmentSize
        self.serverVersionNumber = serverVersionNumber
        self.serverVersion = serverVersion
        self.databases = databases
        self.databaseOIDs = databaseOIDs
        self.fullPageWrites = fullPageWrites
        self.bytes = bytes
        self.sourceHost = sourceHost
    }

    /// The segment replay starts in.
    public var startSegment: WalSegment? {
        LSN.parse(startLSN).map { WalSegment(timeline: timeline, lsn: $0, segmentSize: walSegmentSize) }
    }

    /// The first WAL range of pg_basebackup's own `backup_manifest` (PostgreSQL 13+):
    /// `(timeline, start, end)`. Pure; nil when the text holds none.
    public static func walRange(fromBackupManifest data: Data) -> (timeline: UInt32, start: String, end: String)? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let ranges = object["WAL-Ranges"] as? [[String: Any]], let first = ranges.first,
              let timeline = first["Timeline"] as? Int, let start = first["Start-LSN"] as? String,
              let end = (ranges.last?["End-LSN"] as? String) else { return nil }
        return (UInt32(timeline), start, end)
    }
}
