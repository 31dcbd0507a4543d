import ArgumentParser
import LaterbaseCore
import Standby

/// `standby-entrypoint healthcheck`: exit 0 healthy / 1 not, one line why.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "healthcheck", abstract: "Exit 0 healthy / 1 not, one line why.")

    func run() async throws {
        try await CommandErrors.reporting {
            let settings = try loadSettings(logging: false)
            let verdict = await StandbyInspector.health(settings)
            print(verdict.line)
            if !verdict.healthy { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}
