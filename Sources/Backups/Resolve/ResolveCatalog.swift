import Foundation
import LaterbaseCore

/// One Resolve project as recorded in a library's `"SM_Project"` table.
public struct ResolveProject: Sendable, Codable, Equatable {
    public let name: String
    /// The folder path in the Project Manager, `/`-separated ("" for the root).
    public let folder: String
    /// When the project was last saved (`"LastModTimeInSecs"`), nil when unknown.
    public let lastModified: Date?

    public init(name: String, folder: String, lastModified: Date?) {
        self.name = name
        self.folder = folder
        self.lastModified = lastModified
    }
}

/// What a Resolve library holds: its schema version and its projects.
public struct ResolveCatalog: Sendable, Codable, Equatable {
    /// The newest `database_upgrade_log.version`, nil when the table is absent.
    public let schemaVersion: String?
    public let projects: [ResolveProject]

    public init(schemaVersion: String?, projects: [ResolveProject]) {
        self.schemaVersion = schemaVersion
        self.projects = projects
    }

    /// Builds the catalog from raw rows (pure; unit-tested).
    /// - Parameters:
    ///   - projectRows: `[name, folder id, last-modified seconds]` per project.
    ///   - folderRows: `[folder id, parent id, name]` per folder.
    public static func build(schemaVersion: String?, projectRows: [[String?]], folderRows: [[String?]]) -> ResolveCatalog {
        var folders: [String: (parent: String?, name: String)] = [:]
        for row in folderRows where row.count >= 3 {
            if let id = row[0] { folders[id] = (row[1], row[2] ?? "") }
        }
        func path(of id: String?) -> String {
            var names: [String] = []
            var seen: Set<String> = []
            var cursor = id
            while let current = cursor, let folder = folders[current], seen.insert(current).inserted {
                names.append(folder.name)
                cursor = folder.parent
            }
            return names.reversed().joined(separator: "/")
        }
        let projects = projectRows.compactMap { row -> ResolveProject? in
            guard let name = row.first ?? nil else { return nil }
            let folderID = row.count > 1 ? row[1] : nil
            let seconds = row.count > 2 ? row[2].flatMap { Double($0) } : nil
            return ResolveProject(name: name, folder: path(of: folderID), lastModified: seconds.map { Date(timeIntervalSince1970: $0) })
        }
        .sorted { ($0.folder, $0.name) < ($1.folder, $1.name) }
        return ResolveCatalog(schemaVersion: schemaVersion, projects: projects)
    }
}

extension PostgresConnection {
    /// Whether the connected database is a Resolve library (it has `"SM_Project"`).
    public func isResolveLibrary() throws(PostgresError) -> Bool {
        try query(#"SELECT to_regclass('public."SM_Project"') IS NOT NULL"#).scalar == "t"
    }

    /// Reads the Resolve catalog of the connected library. Degrades instead of failing when
    /// Resolve's schema lacks a column: the folder tree or the times are then left out.
    public func resolveCatalog() throws(PostgresError) -> ResolveCatalog {
        let hasLog = try query("SELECT to_regclass('public.database_upgrade_log') IS NOT NULL").scalar == "t"
        let version = hasLog ? try query(#"SELECT version::text FROM database_upgrade_log ORDER BY "time" DESC NULLS LAST LIMIT 1"#).scalar : nil
        let projects = try queryTolerating(missingColumns: #"SELECT "ProjectName"::text, "Folder"::text, "LastModTimeInSecs"::text FROM "SM_Project""#,
                                           fallback: #"SELECT "ProjectName"::text FROM "SM_Project""#)
        var folders: [[String?]] = []
        if try query(#"SELECT to_regclass('public."SM_ProjectFolder"') IS NOT NULL"#).scalar == "t" {
            folders = try queryTolerating(missingColumns: #"SELECT "SM_ProjectFolder_id"::text, "ParentFolder"::text, "Name"::text FROM "SM_ProjectFolder""#,
                                          fallback: "SELECT NULL::text, NULL::text, NULL::text WHERE false").rows
        }
        return ResolveCatalog.build(schemaVersion: version, projectRows: projects.rows, folderRows: folders)
    }

    /// Runs `sql`; when a column it names does not exist (SQLSTATE 42703), runs `fallback` instead.
    private func queryTolerating(missingColumns sql: String, fallback: String) throws(PostgresError) -> QueryResult {
        do {
            return try query(sql)
        } catch {
            guard error.sqlState == "42703" else { throw error }
            return try query(fallback)
        }
    }
}
