import Foundation

/// What a PostgreSQL program says of its version: `pg_dump --version`, `postgres --version`,
/// `pg_basebackup --version`. The one place such output is read.
public struct ProgramVersion: Sendable {
    /// The output, trimmed: `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`.
    public let text: String
    /// Nil when the output names no version.
    public let major: PostgresMajorVersion?

    /// From the output of `--version` (the program's own name in front is skipped). Pure.
    public init(output: String) {
        text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        // "postgres (PostgreSQL) 15.18": the first word that starts with a digit is the version.
        major = PostgresMajorVersion(versionText: text.replacingOccurrences(of: "(PostgreSQL)", with: ""))
    }

    /// Runs `program --version`.
    /// - Throws: ``ChildProcessError`` when the program cannot run or fails.
    public static func of(_ program: String) async throws -> ProgramVersion {
        ProgramVersion(output: try await ChildProcess(program, ["--version"]).output())
    }
}
