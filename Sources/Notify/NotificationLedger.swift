import Foundation
import LaterbaseCore

/// What has been told, in `BACKUP_DIR/.laterbase/notifications.json` (mode 0600): the problems
/// that are open (so a restart neither tells them again nor loses their "resolved") and the
/// last 50 notifications with how their delivery went (those still pending are sent after a
/// restart).
public struct NotificationLedger: Sendable, Codable, Equatable {
    public var formatVersion = 1
    /// Problem key (`backup-failed:<library>`, …) → when it began and was last told.
    public var open: [String: OpenProblem] = [:]
    /// Newest last; at most ``recentLimit``.
    public var recent: [Record] = []

    public static let recentLimit = 50

    public struct OpenProblem: Sendable, Codable, Equatable {
        public var title: String
        public var since: Date
        public var lastTold: Date
    }

    public struct Record: Sendable, Codable, Equatable {
        public enum Outcome: String, Sendable, Codable { case pending, sent, failed }
        public var id: UUID
        public var at: Date
        public var notification: Notification
        public var outcome: Outcome
        /// Attempts made so far.
        public var attempts: Int
        /// The last delivery failure, one line without URLs.
        public var error: String?
    }

    public init() {}

    /// Reads the ledger; a missing or unreadable file is an empty ledger (and says so in the log
    /// of the caller): losing it costs at most one repeated notification.
    public static func load(from path: String) -> NotificationLedger? {
        guard let data = FileManager.default.contents(atPath: path) else { return NotificationLedger() }
        return try? JSONCoding.decoder.decode(NotificationLedger.self, from: data)
    }

    public func save(to path: String) throws {
        try SecureFile.writeAtomically(try JSONCoding.encoder.encode(self), to: path, mode: 0o600)
    }

    mutating func append(_ notification: Notification, at time: Date) -> UUID {
        let record = Record(id: UUID(), at: time, notification: notification, outcome: .pending, attempts: 0)
        recent.append(record)
        // Drop the oldest delivered ones first; a pending one is never dropped unsent.
        while recent.count > Self.recentLimit, let oldest = recent.firstIndex(where: { $0.outcome != .pending }) {
            recent.remove(at: oldest)
        }
        return record.id
    }
}
