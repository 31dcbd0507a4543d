import LaterbaseCore

/// A finished restore: where the new library is and how an editor opens it.
public struct RestoredLibrary: Sendable {
    public let name: String
    public let server: ConnectionParameters
    /// What was restored ("Resolve_2026-11-24T14-00-00Z.sql.gz", "Resolve as it was at …").
    public let source: String

    /// The lines `backup-agent restore` prints.
    public var report: String {
        """
        Restored \(source) as the new database "\(name)" on \(server.host):\(server.port).
        To open it in DaVinci Resolve: Project Manager → Project Libraries → Add Project Library →
        Connect, then enter the server \(server.host), the user \(server.user) and the database name "\(name)".
        Copy the projects you need back into your working library (export/import .drp), then remove
        the restored library from the Project Manager.
        """
    }
}
