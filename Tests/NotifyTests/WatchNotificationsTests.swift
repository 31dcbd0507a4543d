import Agent
import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Notify
import Testing
import UndoWindow

/// The watch between passes against a real primary with a real replication slot nobody streams
/// from, the real undo window settings and the real disk, told through the real `apprise` to a
/// real receiver; and the daily summary.
@Suite("the watch between passes tells people", .timeLimit(.minutes(4)))
struct WatchNotificationsTests {
    @Test("slot not streaming and holding WAL, undo window not kept, disk below the bound, backups too old: each told once; gone or mended: each resolved once; the summary names the library")
    func watch() async throws {
        try await PostgresCluster.withCluster(.init(replication: true)) { cluster in
            try await cluster.createDatabase("Demo Library")
            try await ResolveFixture.populate(cluster, database: "Demo Library", projects: 2, blobKilobytes: 16)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-watch-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try await NotifyReceiver.with { receiver in
                func environment(_ extra: [String: String]) -> EnvironmentReader {
                    EnvironmentReader(cluster.agentEnvironment(backupDirectory: folder, [
                        "BACKUP_SCHEDULE": "0 0 1 1 *", "HEALTH_MAX_BACKUP_AGE": "1h", "WAL_ARCHIVE": "on", "HEALTH_MAX_SLOT_WAL": "1M",
                        "NOTIFY_URLS": "json://127.0.0.1:\(receiver.port)/ok?cto=60&rto=60",
                    ].merging(extra) { $1 }))
                }
                // More than the disk holds: the disk is "nearly full" whatever machine runs this.
                let first = environment(["BACKUP_MIN_FREE_SPACE": "4194304T"])
                let settings = try BackupSettings(environment: first)
                let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: first),
                                           schedule: try ScheduleSettings(settings: settings, environment: first), logger: Logger(label: "test"))
                let told = try await AgentNotifications.make(try NotifySettings(environment: first), layout: runtime.layout, logger: Logger(label: "test"), retryDelays: [])
                let notifier = try #require(told.notifier)
                func titles() -> [String] {
                    receiver.received.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])?["title"] as? String }
                }

                try await runtime.backUp(telling: told)
                // A standby's slot, reserved at once, and 4 MB of WAL written after it.
                _ = try await cluster.query("SELECT pg_create_physical_replication_slot('resolve_standby', true)")
                try await cluster.execute("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g; SELECT pg_switch_wal();")
                await runtime.watch(telling: told)
                await runtime.watch(telling: told)
                await runtime.watch(telling: told, now: Date().addingTimeInterval(2 * 3600))
                await notifier.settle()
                let opened: Set<String> = [
                    "Laterbase: the undo window is not being kept", "Laterbase: the backup disk is nearly full",
                    "Laterbase: the standby on slot resolve_standby is not streaming",
                ]
                let firstTitles = titles()
                #expect(firstTitles.count == 5, "\(firstTitles)")
                #expect(opened.isSubset(of: Set(firstTitles)), "\(firstTitles)")
                #expect(firstTitles.contains { $0.hasPrefix("Laterbase: slot resolve_standby holds ") }, "\(firstTitles)")
                #expect(firstTitles.last == "Laterbase: backups are getting old", "\(firstTitles)")
                #expect(receiver.received.contains { $0.body.contains("the newest backup of Demo Library is 2h") }, "\(receiver.received.map(\.body))")

                // The agent restarted with a sane bound, the slot dropped, the clock back to now.
                let second = environment(["BACKUP_MIN_FREE_SPACE": "1M", "WAL_ARCHIVE": "off"])
                let again = try await AgentNotifications.make(try NotifySettings(environment: second), layout: runtime.layout, logger: Logger(label: "test"), retryDelays: [])
                let restarted = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: second),
                                             schedule: try ScheduleSettings(settings: settings, environment: second), logger: Logger(label: "test"))
                _ = try await cluster.query("SELECT pg_drop_replication_slot('resolve_standby')")
                await restarted.watch(telling: again)
                await restarted.watch(telling: again)
                let secondNotifier = try #require(again.notifier)
                await secondNotifier.settle()
                let resolved = Array(titles().dropFirst(firstTitles.count))
                let expected: Set<String> = [
                    "Laterbase: backups are current again", "Laterbase: the backup disk has room again",
                    "Laterbase: over: the standby on slot resolve_standby is not streaming",
                ]
                #expect(expected.isSubset(of: Set(resolved)), "\(resolved)")
                #expect(resolved.contains { $0.hasPrefix("Laterbase: over: slot resolve_standby holds") }, "\(resolved)")
                #expect(resolved.count == 4, "\(resolved)")
                // WAL_ARCHIVE=off: the undo window is no longer watched, and stays open.
                #expect(await secondNotifier.openProblems.keys.sorted() == [AgentWatch.undoWindowKey])

                let summary = await restarted.dailySummary(openProblems: Array(await secondNotifier.openProblems.values))
                #expect(summary.title == "Laterbase daily summary: 1 problem(s)", "\(summary)")
                #expect(summary.body.contains("- Demo Library: newest ") && summary.body.contains("Offsite: off") && summary.body.contains("the undo window is not being kept"), "\(summary.body)")
            }
        }
    }
}
