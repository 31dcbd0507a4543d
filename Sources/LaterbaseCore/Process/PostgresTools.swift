import Foundation

/// Finds the PostgreSQL programs (`postgres`, `pg_ctl`, `pg_basebackup`, `pg_dump`, …).
///
/// Looks in `PG_BINDIR` when set, then in the newest `/usr/lib/postgresql/<major>/bin` (Debian
/// and the official images keep the server programs there, off `PATH`), then on `PATH`.
public struct PostgresTools: Sendable {
    public let searchPath: [String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var directories: [String] = []
        if let explicit = environment["PG_BINDIR"], !explicit.isEmpty { directories.append(explicit) }
        let debianRoot = "/usr/lib/postgresql"
        let majors = ((try? FileManager.default.contentsOfDirectory(atPath: debianRoot)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        directories += majors.map { "\(debianRoot)/\($0)/bin" }
        directories += (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        searchPath = directories
    }

    /// The full path of `program`, or nil when it is nowhere to be found.
    public func find(_ program: String) -> String? {
        for directory in searchPath {
            let candidate = directory + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Like ``find(_:)`` but throws a message that says which package provides it.
    public func require(_ program: String) throws -> String {
        guard let path = find(program) else { throw MissingToolError(program: program, searched: searchPath) }
        return path
    }
}

/// A required program that is not installed.
public struct MissingToolError: Error, CustomStringConvertible {
    public let program: String
    public let searched: [String]
    public var description: String {
        "\(program) not found (looked in PG_BINDIR, /usr/lib/postgresql/*/bin and PATH); install the PostgreSQL server and client packages (e.g. apt-get install postgresql-15) or set PG_BINDIR"
    }
}
