import ArgumentParser
import Foundation
import Shared

/// `backup-agent healthcheck`: exit 0 / 1 from the last pass and the backup age, one line why.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "healthcheck", abstract: "Exit 0 / 1 from the last pass and the backup age.")

    func run() async throws {
        try await runReporting {
            let context = try AgentContext.load()
            let layout = BackupLayout(root: context.settings.backupDirectory)
            let state: AgentState
            do {
                state = try AgentState.load(from: layout.stateFile)
            } catch {
                throw CommandFailure("unhealthy: cannot read \(layout.stateFile): \(error)")
            }
            let now = Date()
            let maxAge = BackupHealth.maxAge(settings: context.settings, schedule: context.schedule.schedule, zone: context.schedule.zone, now: now)
            let offsite = context.settings.rcloneRemoteName == nil ? nil
                : BackupHealth.backlog(StoredBackup.all(in: layout), ledger: UploadLedger.load(layout), now: now, grace: maxAge)
            let verdict = BackupHealth.evaluate(state, now: now, maxAge: maxAge, offsite: offsite)
            print(verdict.message)
            if !verdict.healthy { throw ExitCode(1) }
        }
    }
}
