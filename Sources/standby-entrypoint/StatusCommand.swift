import ArgumentParser
import Shared

/// `standby-entrypoint status`: role, receiver state, lag, slot, primary.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Role, receiver state, lag, slot, primary.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        try await runReporting {
            _ = try loadSettings()
            throw CommandFailure("standby-entrypoint status is not implemented yet in this build")
        }
    }
}
