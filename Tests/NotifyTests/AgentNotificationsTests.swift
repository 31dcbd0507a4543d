import Agent
import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Notify
import Testing
import UndoWindow

/// Scheduled passes against a real primary that goes down and comes back, told through the real
/// `apprise` to a real receiver, and pinged to a real monitor.
@Suite("backup passes tell people", .timeLimit(.minutes(4)))
struct AgentNotificationsTests {
    @Test("primary down: one failure naming the library and reason, nothing more for more failing passes; back: one resolved; pings in order")
    func downAndBack() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase("Demo Library")
            try await ResolveFixture.populate(cluster, database: "Demo Library", projects: 2, blobKilobytes: 16)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-told-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try await Receiver.with { receiver in
                let environment = EnvironmentReader(cluster.agentEnvironment(backupDirectory: folder, [
                    "BACKUP_SCHEDULE": "0 0 1 1 *", "BACKUP_LOCK_WAIT": "5s",
                    "NOTIFY_URLS": "json://127.0.0.1:\(receiver.port)/ok/notify?cto=60&rto=60", "PING_URL": receiver.url("/ok/ping/uuid"),
                ]))
                let settings = try BackupSettings(environment: environment)
                let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                                           schedule: try ScheduleSettings(settings: settings, environment: environment), logger: Logger(label: "test"))
                let notifySettings = try NotifySettings(environment: environment)
                try await AppriseSender.validate(notifySettings)
                // No retries: a delivery the loaded receiver answered too late would arrive twice.
                let told = try await AgentNotifications.make(notifySettings, layout: runtime.layout, logger: Logger(label: "test"), retryDelays: [])
                let notifier = try #require(told.notifier)

                try await runtime.backUp(telling: told)
                await cluster.stop()
                for _ in 0..<4 { try? await runtime.backUp(telling: told) }
                await notifier.settle()
                let notes = receiver.received.filter { $0.path.hasPrefix("/ok/notify") }.map(\.body)
                #expect(notes.count == 1, "\(notes)")
                #expect(notes.first?.contains("Demo Library") == true && notes.first?.contains("failure") == true, "\(notes)")

                try await cluster.restart()
                try await runtime.backUp(telling: told)
                try await runtime.backUp(telling: told)
                await notifier.settle()
                let after = receiver.received.filter { $0.path.hasPrefix("/ok/notify") }.map(\.body)
                #expect(after.count == 2, "\(after)")
                #expect(after.last?.contains("success") == true, "\(after)")

                let pings = receiver.received.filter { $0.path.hasPrefix("/ok/ping") }.map { $0.path.replacingOccurrences(of: "/ok/ping/uuid", with: "") }
                let failing: [String] = ["/start", "/fail", "/start", "/fail", "/start", "/fail", "/start", "/fail"]
                let expected: [String] = ["/start", ""] + failing + ["/start", "", "/start", ""]
                #expect(pings == expected, "\(pings)")
            }
        }
    }
}
