import ArgumentParser
import Shared

/// `backup-agent run`: the long-running supervisor.
struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Supervisor: schedule, back up, prune, copy offsite.")

    func run() async throws {
        try await runReporting {
            _ = try loadSettings()
            throw CommandFailure("backup-agent run is not implemented yet in this build")
        }
    }
}
