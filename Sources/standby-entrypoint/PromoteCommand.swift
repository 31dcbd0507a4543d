import ArgumentParser
import Shared

/// `standby-entrypoint promote`: turn the standby into a primary.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Turn the standby into a primary.")

    @Flag(help: "Promote even though the primary still answers.")
    var force = false

    func run() async throws {
        try await runReporting {
            _ = try loadSettings()
            throw CommandFailure("standby-entrypoint promote is not implemented yet in this build")
        }
    }
}
