import ArgumentParser
import Shared

/// `standby-entrypoint run`: prepare the standby, then exec postgres.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Prepare the standby, then exec postgres.")

    @Argument(parsing: .postTerminator, help: "Arguments passed through to postgres.")
    var postgresArguments: [String] = []

    func run() async throws {
        try await runReporting {
            _ = try loadSettings()
            throw CommandFailure("standby-entrypoint run is not implemented yet in this build")
        }
    }
}
