import Agent
import LaterbaseCore

/// A one-line problem shown on a page instead of a value.
struct ConsoleProblem: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ReplicationStatus {
    /// What the primary says, or its one-line reason on the page (the overview, `/metrics`).
    static func forPage(_ primary: PrimarySettings) async -> Result<ReplicationStatus, ConsoleProblem> {
        do {
            return .success(try await read(primary))
        } catch {
            return .failure(ConsoleProblem(error.description))
        }
    }
}
