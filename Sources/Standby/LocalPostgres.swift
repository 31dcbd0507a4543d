import Foundation
import LaterbaseCore

/// The local PostgreSQL server programs.
public enum LocalPostgres {
    /// The major version of `binary` from `postgres --version`.
    /// - Throws: ``StandbyError`` when the output names no version.
    public static func majorVersion(binary: String) async throws -> PostgresMajorVersion {
        let version = try await ProgramVersion.of(binary)
        guard let major = version.major else {
            throw StandbyError(.unreadableToolOutput, "\(binary) --version printed no version: \(version.text.prefix(200))")
        }
        return major
    }
}
