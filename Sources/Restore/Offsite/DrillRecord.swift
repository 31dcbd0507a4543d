import Foundation
import LaterbaseCore

/// One disaster drill (``OffsiteDrill``): what was restored from the remote, how long it took,
/// and how it ended. The last ones are kept in `BACKUP_DIR/.laterbase/drills.json` for the
/// console, `/metrics` and the notifications.
public struct DrillRecord: Sendable, Codable, Equatable {
    public var startedAt: Date
    public var seconds: Double
    public var library: String?
    /// The moment restored from the remote's undo window, or nil for a dump.
    public var at: Date?
    /// The dump restored (`folder/file`), when the remote holds no undo window.
    public var backup: String?
    /// Projects read from the restored library's Resolve catalog.
    public var projects: Int?
    /// Nil when the drill passed.
    public var error: String?

    public init(startedAt: Date, seconds: Double = 0, library: String? = nil, at: Date? = nil, backup: String? = nil, projects: Int? = nil, error: String? = nil) {
        self.startedAt = startedAt
        self.seconds = seconds
        self.library = library
        self.at = at
        self.backup = backup
        self.projects = projects
        self.error = error
    }

    public var passed: Bool { error == nil }

    /// One line: `drill passed: Resolve as it was at 2026-11-24 14:34:59 UTC, restored from the remote in 12.3 s, 37 project(s) read; dropped again`.
    public var summary: String {
        let what = [library, at.map { "as it was at \(UTCFormat.message($0))" }, backup.map { "from \($0)" }].compactMap { $0 }.joined(separator: " ")
        if let error { return "drill failed\(what.isEmpty ? "" : " (\(what))") after \(String(format: "%.1f", seconds)) s: \(error)" }
        return "drill passed: \(what), restored from the remote in \(String(format: "%.1f", seconds)) s, \(projects ?? 0) project(s) read; dropped again"
    }

    /// The newest first, at most 20.
    public static func load(_ stateDirectory: String) -> [DrillRecord] {
        FileManager.default.contents(atPath: stateDirectory + "/drills.json").flatMap { try? JSONCoding.decoder.decode([DrillRecord].self, from: $0) } ?? []
    }

    public func save(_ stateDirectory: String) throws {
        let records = [self] + Self.load(stateDirectory).prefix(19)
        try SecureFile.writeAtomically(try JSONCoding.encoder.encode(records), to: stateDirectory + "/drills.json", mode: 0o644)
    }
}
