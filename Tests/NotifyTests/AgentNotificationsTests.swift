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
            try await NotifyReceiver.with { receiver in
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

/// Offsite copies to a real rclone WebDAV server that goes away and comes back.
@Suite("offsite copies behind are told", .timeLimit(.minutes(4)))
struct OffsiteNotificationsTests {
    @Test("the remote gone: one warning naming how many backups are not offsite; back: one caught up")
    func remoteGoneAndBack() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase("Demo Library")
            try await ResolveFixture.populate(cluster, database: "Demo Library", projects: 2, blobKilobytes: 16)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-offsite-told-\(UUID().uuidString)").path
            let remote = try RcloneServer()
            defer { try? FileManager.default.removeItem(atPath: folder); remote.remove() }
            try await NotifyReceiver.with { receiver in
                let environment = EnvironmentReader(cluster.agentEnvironment(backupDirectory: folder, [
                    "BACKUP_SCHEDULE": "0 0 1 1 *", "NOTIFY_URLS": "json://127.0.0.1:\(receiver.port)/ok?cto=60&rto=60",
                    "RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": remote.configPath,
                ]))
                let settings = try BackupSettings(environment: environment)
                let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                                           schedule: try ScheduleSettings(settings: settings, environment: environment), logger: Logger(label: "test"))
                let told = try await AgentNotifications.make(try NotifySettings(environment: environment), layout: runtime.layout,
                                                             logger: Logger(label: "test"), retryDelays: [])
                let notifier = try #require(told.notifier)
                func titles() -> [String] {
                    receiver.received.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])?["title"] as? String }
                }

                try await runtime.backUp(telling: told)
                remote.kill()
                try await cluster.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = "LastModTimeInSecs" + 60"#, database: "Demo Library")
                try await runtime.backUp(telling: told)
                try await runtime.backUp(telling: told)
                await notifier.settle()
                #expect(titles() == ["Laterbase: backups not copied offsite"], "\(titles())")
                #expect(receiver.received.first?.body.contains("not copied to offsite:laterbase") == true)

                try remote.start()
                try await runtime.backUp(telling: told)
                await notifier.settle()
                #expect(titles() == ["Laterbase: backups not copied offsite", "Laterbase: offsite copies caught up"], "\(titles())")
            }
        }
    }
}
