import ArgumentParser
import Shared

/// `standby-entrypoint healthcheck`: exit 0 healthy / 1 not, one line why.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "healthcheck", abstract: "Exit 0 healthy / 1 not, one line why.")

    func run() async throws {
        try await runReporting {
            _ = try loadSettings()
            throw CommandFailure("standby-entrypoint healthcheck is not implemented yet in this build")
        }
    }
}
