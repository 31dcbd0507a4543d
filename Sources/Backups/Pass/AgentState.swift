import Foundation
import LaterbaseCore

/// What the agent remembers between runs, in `BACKUP_DIR/.laterbase/state.json`: the last pass
/// and, per database, the last attempt and success. `healthcheck` reads it.
public struct AgentState: Sendable, Codable, Equatable {
    public var formatVersion = 1
    public var lastPass: Pass?
    public var databases: [String: DatabaseState] = [:]

    public init() {}

    /// One backup pass over all databases.
    public struct Pass: Sendable, Codable, Equatable {
        public var startedAt: Date
        public var finishedAt: Date?
        public var succeeded: [String] = []
        /// Database → one-line reason.
        public var failed: [String: String] = [:]
        /// Non-fatal problems (e.g. the roles dump).
        public var warnings: [String] = []

        public init(startedAt: Date) { self.startedAt = startedAt }

        /// The key of ``failed`` when the pass failed before any library (the databases could not be listed).
        public static let allDatabases = "(all databases)"
    }

    /// The history of one database.
    public struct DatabaseState: Sendable, Codable, Equatable {
        public var lastAttempt: Date?
        public var lastSuccess: Date?
        public var lastFile: String?
        public var lastError: String?
        public init() {}
    }

    /// Reads the state; a missing file is an empty state.
    /// - Throws: ``BackupError`` `.stateUnreadable`, one line naming the file and what to do.
    public static func load(from path: String) throws -> AgentState {
        try JSONFileProblem.decode(AgentState.self, from: path, code: .stateUnreadable,
                                   advice: "move it aside; the next backup pass writes a new one") ?? AgentState()
    }

    /// Writes the state atomically (mode 0644: it holds no secret).
    public func save(to path: String) throws {
        try SecureFile.writeAtomically(try JSONCoding.encoder.encode(self), to: path, mode: 0o644)
    }
}
