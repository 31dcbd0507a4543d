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
            var verdict = BackupHealth.evaluate(state, now: now, maxAge: maxAge, offsite: offsite)
            let archive = ArchiveLayout(root: context.settings.backupDirectory)
            if context.settings.archive.enabled || UndoWindowSnapshot.exists(archive) {
                let snapshot = UndoWindowSnapshot(layout: archive, now: now)
                let streaming = snapshot.receiver?.isStreaming(now: now) ?? false
                let slot = streaming ? nil : await UndoWindowSnapshot.slotReport(primary: context.settings.primary, slot: context.settings.archive.slot)
                let undo = ArchiveHealth.evaluate(window: snapshot.window, receiver: snapshot.receiver, slot: slot, now: now)
                verdict = BackupHealth.combine(verdict, undo)
            }
            print(verdict.message)
            if !verdict.healthy { throw ExitCode(1) }
        }
    }
}
