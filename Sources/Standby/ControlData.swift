import Foundation
import LaterbaseCore

/// What `pg_controldata` says about a data directory: the system identifier (which ties a
/// standby to its primary) and the cluster state.
public struct ControlData: Sendable, Equatable {
    public let systemIdentifier: String
    /// `in archive recovery`, `shut down in recovery`, `in production`, `shut down`, …
    public let clusterState: String?
    public let timeline: Int?

    public init(systemIdentifier: String, clusterState: String?, timeline: Int?) {
        self.systemIdentifier = systemIdentifier
        self.clusterState = clusterState
        self.timeline = timeline
    }

    /// Parses `pg_controldata` output (run with `LC_ALL=C`). Nil without a system identifier. Pure.
    public static func parse(_ text: String) -> ControlData? {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = value }
        }
        guard let identifier = fields["Database system identifier"], !identifier.isEmpty,
              identifier.allSatisfy(\.isNumber) else { return nil }
        return ControlData(systemIdentifier: identifier, clusterState: fields["Database cluster state"],
                           timeline: fields["Latest checkpoint's TimeLineID"].flatMap { Int($0) })
    }

    /// Runs `pg_controldata` on `dataDirectory`.
    /// - Throws: ``ChildProcessError`` when it fails, a ``StandbyError`` when its output is unreadable.
    public static func read(dataDirectory: String, tools: PostgresTools) async throws -> ControlData {
        var child = ChildProcess(try tools.require("pg_controldata"), [dataDirectory])
        child.environment = ["LC_ALL": "C", "LANG": "C"]
        let output = try await child.output()
        guard let data = parse(output) else {
            throw StandbyError(.unreadableToolOutput, "pg_controldata \(dataDirectory) printed no system identifier; the data directory may be damaged")
        }
        return data
    }
}
