import LaterbaseCore
import Logging

/// Which databases a pass backs up: the configured list, or every database on the server that
/// holds a Resolve library (it has `"SM_Project"`), except a library still being restored.
public enum DatabaseDiscovery {
    /// Returns the databases to back up, logging which were found and which skipped, and a
    /// warning per database that could not be looked into (no CONNECT right, no pg_hba line):
    /// those are skipped instead of failing the whole pass.
    public static func databases(settings: BackupSettings, logger: Logger) async throws -> (databases: [String], warnings: [String]) {
        if !settings.databases.isEmpty { return (settings.databases, []) }
        let server = settings.source.connection(database: "postgres")
        let names = try await PostgresConnection.withConnection(server) { connection in
            // Not a library being restored (its working name): it is complete only once renamed.
            try connection.query("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname NOT LIKE $1 ORDER BY datname",
                                 [RestoringName.likePattern])
                .rows.compactMap { $0.first ?? nil }
        }
        var libraries: [String] = []
        var skipped: [String] = []
        var warnings: [String] = []
        for name in names {
            do {
                let isLibrary = try await PostgresConnection.withConnection(server.with(database: name)) { try $0.isResolveLibrary() }
                if isLibrary { libraries.append(name) } else { skipped.append(name) }
            } catch {
                skipped.append(name)
                warnings.append("skipped database \(name): cannot look into it (\(error)); list the libraries in PRIMARY_DBS if it is one")
                logger.warning("cannot look into a database; skipped", metadata: [LogKey.database: "\(name)", LogKey.error: "\(error)"])
            }
        }
        logger.info("discovered Resolve libraries", metadata: [
            "found": "\(libraries.joined(separator: ","))", "skipped": "\(skipped.joined(separator: ","))",
        ])
        return (libraries, warnings)
    }
}
