import ArgumentParser
import Shared

/// `standby-entrypoint check-primary`: preflight of the primary, each failure with its fix.
struct CheckPrimaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-primary", abstract: "Preflight of the primary, each failure with its fix.")

    func run() async throws {
        try await runReporting {
            _ = try loadSettings()
            throw CommandFailure("standby-entrypoint check-primary is not implemented yet in this build")
        }
    }
}
