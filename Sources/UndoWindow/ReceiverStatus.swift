import Foundation
import LaterbaseCore

/// What the WAL receiver is doing, in `BACKUP_DIR/.laterbase/wal-receiver.json`: written by
/// `backup-agent run` on every change and every few seconds while streaming, read by
/// `healthcheck` and `list` (another process).
public struct ReceiverStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case starting, streaming, down, stopped }

    public var state: State
    /// When the receiver entered `state`.
    public var since: Date
    /// The last time the agent wrote this file: a `streaming` status older than a minute means
    /// the agent itself is gone.
    public var updatedAt: Date
    public var lastError: String?
    public var restarts: Int
    /// The last moment the receiver was known to have all WAL the primary had flushed: the last
    /// streaming confirmation, or the graceful stop of a streaming receiver. An idle primary
    /// writes no WAL, so this, not the newest file's time, is the newest restorable moment.
    public var streamedUntil: Date?

    public init(state: State, since: Date, updatedAt: Date, lastError: String? = nil, restarts: Int = 0, streamedUntil: Date? = nil) {
        self.state = state
        self.since = since
        self.updatedAt = updatedAt
        self.lastError = lastError
        self.restarts = restarts
        self.streamedUntil = streamedUntil
    }

    /// Streaming, confirmed within `freshness` seconds before `now`.
    public func isStreaming(now: Date, freshness: TimeInterval = 60) -> Bool {
        state == .streaming && now.timeIntervalSince(updatedAt) <= freshness
    }

    public static func load(_ layout: ArchiveLayout) -> ReceiverStatus? {
        FileManager.default.contents(atPath: layout.receiverStatusFile).flatMap { try? JSONCoding.decoder.decode(ReceiverStatus.self, from: $0) }
    }

    public func save(_ layout: ArchiveLayout) {
        let directory = (layout.receiverStatusFile as NSString).deletingLastPathComponent
        try? SecureDirectory.create(directory, mode: 0o700)
        try? SecureFile.writeAtomically((try? JSONCoding.encoder.encode(self)) ?? Data(), to: layout.receiverStatusFile, mode: 0o644)
    }
}
