import ArgumentParser
import LaterbaseCore
import Standby

/// `standby-entrypoint status`: role, receiver state, lag, slot, primary.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Role, receiver state, lag, slot, primary.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        try await CommandErrors.reporting {
            let settings = try loadSettings(logging: false)
            let report = await StandbyInspector.status(settings)
            print(json ? report.json : report.text)
            if report.role == "down" { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}
