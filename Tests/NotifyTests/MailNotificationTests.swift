import Agent
import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Notify
import Testing
import UndoWindow

/// Scheduled passes over a real library whose backup fails and works again, told by e-mail
/// through the real `apprise` (`NOTIFY_URLS=mailto://…`) to a real SMTP server (aiosmtpd),
/// plain SMTP as a relay inside a facility; across a restart of the agent in the middle of the
/// problem.
@Suite("failed backups told by e-mail", .timeLimit(.minutes(4)))
struct MailNotificationTests {
    @Test("a library's backup failing: one mail naming it and the reason, none more after an agent restart; working again: one more")
    func failingAndBack() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase("Demo Library")
            try await ResolveFixture.populate(cluster, database: "Demo Library", projects: 2, blobKilobytes: 16)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-mailed-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try await SMTPServer.with { smtp in
                let environment = EnvironmentReader(cluster.agentEnvironment(backupDirectory: folder, [
                    "BACKUP_SCHEDULE": "0 0 1 1 *", "BACKUP_LOCK_WAIT": "2s",
                    "NOTIFY_URLS": smtp.mailtoURL(from: "backups@facility.example", to: "ops@facility.example"),
                ]))
                let settings = try BackupSettings(environment: environment)
                let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                                           schedule: try ScheduleSettings(settings: settings, environment: environment), logger: Logger(label: "test"))
                try await AppriseSender.validate(try NotifySettings(environment: environment))
                /// What `backup-agent run` makes at its start, over BACKUP_DIR's ledger. No retries:
                /// a delivery answered too late by the loaded machine would arrive twice.
                func startAgent() async throws -> (AgentNotifications, Notifier) {
                    let told = try await AgentNotifications.make(try NotifySettings(environment: environment), layout: runtime.layout,
                                                                 logger: Logger(label: "test"), retryDelays: [])
                    return (told, try #require(told.notifier))
                }

                var (told, notifier) = try await startAgent()
                try await runtime.backUp(telling: told)
                await notifier.settle()
                #expect(smtp.messages.isEmpty, "\(smtp.messages)")

                // A lock held on the library (as a Resolve schema upgrade does): its backup fails
                // after BACKUP_LOCK_WAIT while the server answers.
                try await cluster.withTableLocked("SM_Project", database: "Demo Library") {
                    for _ in 0..<6 { try await runtime.backUp(telling: told) }
                    await notifier.settle()
                    let failed = smtp.messages
                    #expect(failed.count == 1, "\(failed)")
                    let mail = try #require(failed.first)
                    #expect(mail.subject == "Laterbase: backup of Demo Library failed", "\(mail)")
                    #expect(mail.body.contains("The backup of the Resolve library Demo Library failed"), "\(mail.body)")
                    #expect(mail.body.contains("stayed locked by another session for more than 2 s (BACKUP_LOCK_WAIT)"), "\(mail.body)")
                    #expect(mail.from == "backups@facility.example" && mail.to == ["ops@facility.example"], "\(mail)")

                    // The agent restarted mid-problem: the ledger in BACKUP_DIR keeps it told.
                    (told, notifier) = try await startAgent()
                    for _ in 0..<2 { try await runtime.backUp(telling: told) }
                    await notifier.settle()
                    #expect(smtp.messages.count == 1, "\(smtp.messages)")
                }

                try await runtime.backUp(telling: told)
                await notifier.settle()
                let back = smtp.messages
                #expect(back.count == 2, "\(back)")
                #expect(back.last?.subject == "Laterbase: backup of Demo Library works again", "\(back)")
                #expect(back.last?.body.contains("The Resolve library Demo Library was backed up") == true, "\(back)")

                for _ in 0..<2 { try await runtime.backUp(telling: told) }
                await notifier.settle()
                #expect(smtp.messages.count == 2, "\(smtp.messages)")
            }
        }
    }
}
