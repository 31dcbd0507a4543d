import Foundation
import LaterbaseCore

/// A database on the Resolve server under a restore's working name (`laterbase_restoring_…`):
/// a restore still running, or what one killed outright left. `list` shows them; the next
/// restore or backup pass drops those whose process has ended (``RestoreTarget/removeAbandoned()``).
public struct UnfinishedRestore: Sendable, Equatable {
    /// The working name on the server.
    public let database: String
    /// The process its marker names; nil without a marker (not dropped automatically).
    public let owner: ProcessIdentity?
    /// The library name the restore was for, from the marker.
    public let library: String?

    /// Whether the restoring process has ended: nil when that cannot be told here (no marker,
    /// or a process of another host).
    public var hasEnded: Bool? { owner?.hasEnded() }

    /// One line for `list`: what it is and what will happen to it.
    public var summary: String {
        let what = library.map { "restore of \"\($0)\"" } ?? "database without Laterbase's marker"
        switch (owner, hasEnded) {
        case (nil, _):
            return "\(database): \(what); left alone: drop it by hand once you know nothing uses it"
        case (let owner?, true):
            return "\(database): \(what), killed before it finished (PID \(owner.pid) has ended); not a usable library: the next restore or backup pass drops it"
        case (let owner?, false):
            return "\(database): \(what), still running (PID \(owner.pid))"
        case (let owner?, nil):
            return "\(database): \(what) by host \(owner.host); that host drops it if its process has ended"
        }
    }

    init(database: String, comment: String?) {
        self.database = database
        owner = comment.flatMap(RestoreTarget.owner(inMarker:))
        library = comment.flatMap(RestoreTarget.library(inMarker:))
    }
}

extension RestoreTarget {
    /// Every database under a restore's working name, with its marker.
    /// - Throws: when the server cannot be asked.
    public func unfinishedRestores() async throws -> [UnfinishedRestore] {
        try await PostgresConnection.withConnection(server.with(database: "postgres")) { connection in
            try connection.query("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE $1 ORDER BY datname",
                                 [RestoringName.likePattern]).rows
        }.compactMap { row in row[0].map { UnfinishedRestore(database: $0, comment: row[1]) } }
    }

    /// The library name a marker names (``marker(for:by:)``), nil when the comment is not a marker.
    static func library(inMarker comment: String) -> String? {
        let prefix = "laterbase: unfinished restore of \""
        guard comment.hasPrefix(prefix), let by = comment.range(of: "\" by ", options: .backwards) else { return nil }
        return String(comment[comment.index(comment.startIndex, offsetBy: prefix.count)..<by.lowerBound])
    }
}
