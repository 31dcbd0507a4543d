@testable import Agent
@testable import Backups
import Foundation
import LaterbaseCore
@testable import Notify
import Testing

/// The thresholds of the watch between passes, and the settings that set them.
@Suite("watch between passes: thresholds")
struct AgentWatchTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func backedUp(_ time: Date) -> AgentState.DatabaseState {
        var database = AgentState.DatabaseState()
        database.lastSuccess = time
        return database
    }

    @Test("a library's newest backup older than the allowed age is one problem naming it; within it, clear")
    func stale() {
        var state = AgentState()
        var pass = AgentState.Pass(startedAt: Self.now)
        pass.succeeded = ["A", "B"]
        state.lastPass = pass
        state.databases["A"] = Self.backedUp(Self.now.addingTimeInterval(-3 * 3600))
        state.databases["B"] = Self.backedUp(Self.now.addingTimeInterval(-60))
        let old = AgentWatch.staleBackups(state, now: Self.now, maxAge: 7800)
        #expect(old.problem?.body.contains("the newest backup of A is 3h00m old (limit 2h10m)") == true, "\(old)")
        #expect(AgentWatch.staleBackups(state, now: Self.now, maxAge: 4 * 3600).problem == nil)
        #expect(AgentWatch.staleBackups(nil, now: Self.now, maxAge: 60).problem == nil)
    }

    @Test("free space below the minimum is a problem; the default minimum is twice the newest backup of each library")
    func disk() {
        func backup(_ database: String, _ hoursAgo: Double, _ size: Int64) -> StoredBackup {
            StoredBackup(database: database, folder: database, file: "f", path: "/x", time: Self.now.addingTimeInterval(-hoursAgo * 3600), size: size, manifest: nil)
        }
        // StoredBackup.all lists newest first per library.
        let backups = [backup("A", 1, 300), backup("A", 2, 100_000), backup("B", 1, 50)]
        #expect(AgentWatch.twoPasses(backups) == 700)
        #expect(AgentWatch.diskSpace(available: 699, capacity: 10_000, minimum: 700, directory: "/backups").problem?.title == "Laterbase: the backup disk is nearly full")
        #expect(AgentWatch.diskSpace(available: 700, capacity: 10_000, minimum: 700, directory: "/backups").problem == nil)
    }

    @Test("slots and standbys: not streaming, too much WAL, safe_wal_size shrinking or lost, lag over the bound; the WAL slot is the undo window's")
    func replication() {
        let gib: Int64 = 1 << 30
        let status = ReplicationStatus(
            senders: [
                .init(application: "standby", client: "10.0.0.2", state: "streaming", replayLagBytes: 1000, replayLagSeconds: 400, syncState: "async"),
                .init(application: "calm", client: "10.0.0.3", state: "streaming", replayLagBytes: 0, replayLagSeconds: 2, syncState: "async"),
                .init(application: "laterbase-wal-receiver", client: "local", state: "streaming", replayLagBytes: 0, replayLagSeconds: 900, syncState: "async"),
            ],
            slots: [
                .init(name: "down", active: false, walStatus: "reserved", retainedBytes: 1 << 20, safeWalSize: nil),
                .init(name: "full", active: true, walStatus: "extended", retainedBytes: 11 * gib, safeWalSize: nil),
                .init(name: "shrinking", active: true, walStatus: "reserved", retainedBytes: gib / 2, safeWalSize: gib / 2),
                .init(name: "lost", active: true, walStatus: "lost", retainedBytes: nil, safeWalSize: nil),
                .init(name: "fine", active: true, walStatus: "reserved", retainedBytes: gib, safeWalSize: 8 * gib),
                .init(name: "laterbase_wal", active: false, walStatus: "reserved", retainedBytes: 1 << 20, safeWalSize: nil),
            ])
        let conditions = AgentWatch.replication(status, walSlot: "laterbase_wal", maxLagSeconds: 300, maxSlotWal: 10 * gib)
        let open = conditions.filter { $0.problem != nil }.map(\.key).sorted()
        #expect(open == ["slot-wal:full", "slot-wal:lost", "slot-wal:shrinking", "standby-down:down", "standby-lag:standby"], "\(open)")
        let clear = Set(conditions.filter { $0.problem == nil }.map(\.key))
        #expect(clear.isSuperset(of: ["standby-down:fine", "slot-wal:fine", "slot-wal:down", "standby-lag:calm", "slot-wal:laterbase_wal"]))
        #expect(!clear.contains("standby-down:laterbase_wal") && !clear.contains("standby-lag:laterbase_wal_receiver"))
        let lag = conditions.first { $0.key == "standby-lag:standby" }?.problem
        #expect(lag?.title == "Laterbase: the standby standby lags 6m behind", "\(String(describing: lag))")
    }

    @Test("NOTIFY_DAILY_SUMMARY, BACKUP_MIN_FREE_SPACE and HEALTH_MAX_SLOT_WAL: values read, bad ones one line naming the variable")
    func settings() throws {
        let read = { (values: [String: String]) throws(ConfigurationError) -> NotifySettings in try NotifySettings(environment: EnvironmentReader(values)) }
        let defaults = try read([:])
        #expect(defaults.dailySummary == nil && defaults.minFreeBytes == nil && defaults.maxSlotWalBytes == 10 << 30 && defaults.maxLagSeconds == 300)
        let set = try read(["NOTIFY_DAILY_SUMMARY": "8:05", "BACKUP_MIN_FREE_SPACE": "20G", "HEALTH_MAX_SLOT_WAL": "512MiB"])
        #expect(set.dailySummary?.expression == "5 8 * * *")
        #expect(set.minFreeBytes == 20 << 30 && set.maxSlotWalBytes == 512 << 20)
        #expect(try read(["NOTIFY_DAILY_SUMMARY": "off"]).dailySummary == nil)
        for (variable, value) in [("NOTIFY_DAILY_SUMMARY", "24:00"), ("NOTIFY_DAILY_SUMMARY", "8am"), ("BACKUP_MIN_FREE_SPACE", "20 gigs"), ("HEALTH_MAX_SLOT_WAL", "0")] {
            #expect {
                _ = try read([variable: value])
            } throws: { error in
                let error = error as? ConfigurationError
                return error?.variable == variable && !(error?.description.contains("\n") ?? true)
            }
        }
        #expect(NotifySettings.split("json://a/x, mailto://h?from=f@x&to=a@x,b@x ntfy://t,json://c") == ["json://a/x", "mailto://h?from=f@x&to=a@x,b@x", "ntfy://t", "json://c"])
        #expect(ConfigByteSize.parseBytes("1048576") == 1_048_576 && ConfigByteSize.parseBytes("2T") == 2 << 40 && ConfigByteSize.parseBytes("3kb") == 3072)
        #expect(ConfigByteSize.parseBytes("99999999999T") == nil && ConfigByteSize.parseBytes("G") == nil)
    }
}
