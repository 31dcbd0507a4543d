import Foundation
import LaterbaseCore

/// The directory holding `postgres`, `pg_ctl` and `pg_dump` of one major version, for the
/// scratch cluster of `restore --at`: `PG_BINDIR` when set, else `/usr/lib/postgresql/<major>/bin`,
/// else `PATH` — each checked with `postgres --version`.
public enum ServerPrograms {
    public static func directory(major: PostgresMajorVersion, tools: PostgresTools) async throws -> String {
        var candidates = tools.searchPath
        let debian = "/usr/lib/postgresql/\(major)/bin"
        candidates.removeAll { $0 == debian }
        // PG_BINDIR (first in the search path, when set) keeps its place; Debian's folder of this major comes next.
        let explicit = ProcessInfo.processInfo.environment["PG_BINDIR"].flatMap { $0.isEmpty ? nil : $0 }
        candidates.insert(debian, at: explicit == nil ? 0 : min(1, candidates.count))
        var seen: [String] = []
        for directory in candidates where FileManager.default.isExecutableFile(atPath: directory + "/postgres")
            && FileManager.default.isExecutableFile(atPath: directory + "/pg_ctl") {
            let version = (try? await ProgramVersion.of(directory + "/postgres")) ?? ProgramVersion(output: "")
            if version.major == major { return directory }
            seen.append(version.text)
        }
        throw ArchiveError(.noServerPrograms, "the base backup is PostgreSQL \(major), but no PostgreSQL \(major) server programs were found (looked in PG_BINDIR, \(debian) and PATH\(seen.isEmpty ? "" : "; found \(seen.joined(separator: ", "))")); install postgresql-\(major) or set PG_BINDIR")
    }
}
