import Foundation
import LaterbaseCore

/// The rows of `backup-agent list`, as a table or JSON. Pure formatting over stored backups.
public enum BackupListing {
    public struct Row: Sendable, Equatable, Codable {
        public let database: String
        public let file: String
        public let path: String
        public let time: Date
        public let bytes: Int64
        public let unchangedFrom: String?
        public let projects: Int?
        public let uploaded: Bool
        /// With `--project`: the matching projects' folder and last-modified time in this backup.
        public let matches: [ResolveProject]?
        /// The oldest backup whose file this one is (a hard link: one damaged file damages both).
        public var sameFileAs: String? = nil
        /// Why the file no longer matches its manifest, as last verified (``VerificationCache``).
        public var damaged: String? = nil
    }

    public static func rows(_ backups: [StoredBackup], ledger: UploadLedger, project: String?,
                            verified: VerificationCache = VerificationCache()) -> [Row] {
        // The oldest name of each file (names are newest first per database).
        var firstName: [String: String] = [:]
        for backup in backups.reversed() {
            if let file = backup.identity?.file, firstName[file] == nil { firstName[file] = backup.file }
        }
        return backups.compactMap { backup in
            var matches: [ResolveProject]?
            if let project {
                let found = ProjectMatcher(project).select(backup.manifest?.resolve.projects ?? [], name: \.name)
                guard !found.isEmpty else { return nil }
                matches = found
            }
            return Row(database: backup.database, file: backup.file, path: backup.path, time: backup.time, bytes: backup.size,
                       unchangedFrom: backup.manifest?.unchangedFrom, projects: backup.manifest?.resolve.projects.count,
                       uploaded: ledger.isUploaded(backup), matches: matches,
                       sameFileAs: backup.identity.flatMap { firstName[$0.file] }.flatMap { $0 == backup.file ? nil : $0 },
                       damaged: BackupVerifier.known(backup, in: verified).damage)
        }
    }

    public static func json(_ rows: [Row], offsite: Bool) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(rows), as: UTF8.self)
    }

    public static func table(_ rows: [Row], offsite: Bool, project: String?) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        var lines: [String] = []
        var current: String?
        for row in rows {
            if row.database != current {
                if current != nil { lines.append("") }
                lines.append("\(TerminalText.escaped(row.database)):")
                current = row.database
            }
            var fields = [formatter.string(from: row.time), Self.size(row.bytes).padding(toLength: 9, withPad: " ", startingAt: 0)]
            fields.append(row.projects.map { "\($0) projects" } ?? "no manifest")
            if offsite { fields.append(row.uploaded ? "offsite" : "local only") }
            if let same = row.sameFileAs {
                fields.append("same file as \(TerminalText.escaped(same))")
            } else if let unchanged = row.unchangedFrom {
                fields.append("unchanged since \(TerminalText.escaped(unchanged))")
            }
            if let damaged = row.damaged { fields.append("DAMAGED: \(damaged)") }
            for match in row.matches ?? [] {
                let saved = match.lastModified.map { formatter.string(from: $0) } ?? "unknown"
                fields.append("\"\(TerminalText.escaped(match.name))\" in /\(TerminalText.escaped(match.folder)) saved \(saved)")
            }
            lines.append("  " + TerminalText.escaped(row.file) + "  " + fields.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// `1.2 GB`, `530 MB`, `12 kB`.
    static func size(_ bytes: Int64) -> String {
        ByteCountFormatter.string(fromByteCount: bytes, countStyle: .decimal)
    }
}
