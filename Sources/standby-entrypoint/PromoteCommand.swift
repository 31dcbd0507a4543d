import ArgumentParser
import LaterbaseCore
import Logging
import Standby

/// `standby-entrypoint promote`: turn the standby into a primary.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Turn the standby into a primary.")

    @Flag(help: "Promote even though the primary still answers.")
    var force = false

    func run() async throws {
        try await CommandErrors.reporting {
            let settings = try loadSettings(logging: false)
            let lines = try await Promotion(settings: settings, force: force).run(logger: Logger(label: "promote"))
            lines.forEach { print($0) }
        }
    }
}
