import Logging

/// Which databases a pass backs up: the configured list, or every database on the server that
/// holds a Resolve library (it has `"SM_Project"`).
public enum DatabaseDiscovery {
    /// Returns the databases to back up, logging which were found and which skipped.
    public static func databases(settings: BackupSettings, logger: Logger) async throws -> [String] {
        if !settings.databases.isEmpty { return settings.databases }
        let server = settings.source.connection(database: "postgres")
        let names = try await PostgresConnection.withConnection(server) { connection in
            try connection.query("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
                .rows.compactMap { $0.first ?? nil }
        }
        var libraries: [String] = []
        var skipped: [String] = []
        for name in names {
            let isLibrary = try await PostgresConnection.withConnection(server.with(database: name)) { try $0.isResolveLibrary() }
            if isLibrary { libraries.append(name) } else { skipped.append(name) }
        }
        logger.info("discovered Resolve libraries", metadata: [
            "found": "\(libraries.joined(separator: ","))", "skipped": "\(skipped.joined(separator: ","))",
        ])
        return libraries
    }
}
