import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Backups read from a real standby (`BACKUP_HOST`) made by `standby-entrypoint run`, while the
/// primary keeps changing and vacuuming.
@Suite("backup-agent reading from the standby", .timeLimit(.minutes(5)))
struct StandbySourceTests {
    static let primaryOptions = PostgresCluster.Options(replication: true)
    /// The standby gives up on a conflicting query after 100 ms instead of 30 s, so any
    /// recovery conflict during the dump shows at once.
    static let impatient = StandbyProcess.testServerArguments + ["-c", "max_standby_streaming_delay=100ms"]

    /// A library of about 100 MB of blobs on the primary, a churn table, replayed on the standby.
    static func prepare(_ primary: PostgresCluster, _ standby: StandbyProcess, postgresArguments: [String]) async throws {
        try await primary.createDatabase("Resolve")
        try await ResolveFixture.populate(primary, database: "Resolve", projects: 20, blobKilobytes: 1024)
        try await primary.execute("CREATE TABLE churn (id int PRIMARY KEY, v int); INSERT INTO churn SELECT i, 0 FROM generate_series(1, 2000) i",
                                  database: "Resolve")
        try standby.start(postgresArguments: postgresArguments)
        try await standby.waitUntilHealthy()
    }

    /// UPDATE + VACUUM on the primary in a loop (one session, on a dispatch thread) until `body` returns,
    /// a round every 20 ms at most: each round after the dump's snapshot is a conflict on a standby
    /// without feedback, and an unpaced loop only bloats the table the dump's snapshot keeps alive
    /// and takes a core from every other test of the run.
    static func whileChurning<T>(_ primary: PostgresCluster, _ body: () async throws -> T) async throws -> T {
        let stop = StopFlag()
        let churn = Task {
            try await PostgresConnection.withConnection(primary.parameters(database: "Resolve")) { connection -> Int in
                var rounds = 0
                while !stop.isSet {
                    let started = Date()
                    try connection.simpleQuery("UPDATE churn SET v = v + 1")
                    try connection.simpleQuery("VACUUM churn")
                    rounds += 1
                    Thread.sleep(forTimeInterval: max(0, 0.02 + started.timeIntervalSinceNow))
                }
                return rounds
            }
        }
        defer { stop.set() }
        let result = try await body()
        stop.set()
        let rounds = try await churn.value
        print("measured: \(rounds) rounds of UPDATE + VACUUM on the primary during the backup")
        // Each round after the dump's snapshot is a conflict for a standby without feedback (it
        // cancels after 100 ms), so a few are enough; CI's parallel suites measured 8 rounds in 4 s.
        #expect(rounds >= 3, "the primary hardly churned (\(rounds) rounds)")
        return result
    }

    final class StopFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }

    /// A primary with a one-project library and a healthy standby of it made by `standby-entrypoint run`.
    static func withSmallLibrary(_ body: (PostgresCluster, StandbyProcess) async throws -> Void) async throws {
        try await PostgresCluster.withCluster(primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try await primary.createDatabase("Resolve")
                try await ResolveFixture.populate(primary, database: "Resolve", projects: 1)
                try standby.start()
                try await standby.waitUntilHealthy()
                try await body(primary, standby)
            }
        }
    }

    func agent(_ primary: PostgresCluster, _ standby: StandbyProcess) throws -> (AgentHarness, [String: String]) {
        (try AgentHarness(cluster: primary), ["BACKUP_HOST": "127.0.0.1", "BACKUP_PORT": String(standby.port), "PRIMARY_DBS": "Resolve"])
    }

    @Test("hot_standby_feedback: a dump from the standby is not cancelled while the primary runs UPDATE + VACUUM")
    func feedbackKeepsTheDump() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try await Self.prepare(primary, standby, postgresArguments: Self.impatient)
                #expect(try await standby.query("SHOW hot_standby_feedback").scalar == "on")
                let (agent, environment) = try agent(primary, standby)
                defer { agent.remove() }
                let (result, elapsed) = try await Self.whileChurning(primary) {
                    let started = ContinuousClock.now
                    let result = try await agent.run(["backup"], environment)
                    return (result, ContinuousClock.now - started)
                }
                print("measured: backup from the standby under UPDATE + VACUUM took \(elapsed)")
                #expect(result.status == 0, "\(result.stderr)")
                #expect(!result.stdout.contains("conflict with recovery"))
                let manifest = try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").first))
                #expect(manifest.sourcePort == standby.port)
                #expect(manifest.rawBytes > 100_000_000)
            }
        }
    }

    @Test("without hot_standby_feedback the standby cancels the dump; the agent takes it from the primary and says so")
    func conflictFallsBackToPrimary() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                // What an older standby-entrypoint (or a hand-made standby) runs with.
                try await Self.prepare(primary, standby, postgresArguments: Self.impatient + ["-c", "hot_standby_feedback=off"])
                let (agent, environment) = try agent(primary, standby)
                defer { agent.remove() }
                let result = try await Self.whileChurning(primary) { try await agent.run(["backup"], environment) }
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("the standby ended the dump (a conflict with recovery or a lost session); taking it from the primary instead"),
                        "\(result.stdout.suffix(3000))")
                let manifest = try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").first))
                #expect(manifest.sourcePort == primary.port)
                #expect(agent.files(of: "Resolve").filter { $0.hasSuffix(".partial") }.isEmpty)
            }
        }
    }

    @Test("a standby lagging beyond BACKUP_MAX_STANDBY_LAG: the pass reads from the primary, with a warning")
    func laggingStandby() async throws {
        try await Self.withSmallLibrary { primary, standby in
            // One transaction replayed since the standby started, so it knows how old its replay is.
            try await primary.execute("CREATE TABLE marker (x int)", database: "Resolve")
            try await standby.waitUntil("the marker on the standby") {
                (try? await PostgresConnection.withConnection(standby.parameters().with(database: "Resolve")) {
                    try $0.query("SELECT to_regclass('marker') IS NOT NULL").scalar
                }) == "t"
            }
            try await standby.query("SELECT pg_wal_replay_pause()")
            try await primary.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = "LastModTimeInSecs" + 1"#, database: "Resolve")
            try await Task.sleep(for: .seconds(3))
            let (agent, environment) = try agent(primary, standby)
            defer { agent.remove() }
            let result = try await agent.run(["backup"], environment.merging(["BACKUP_MAX_STANDBY_LAG": "2s"]) { _, new in new })
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("lags"), "\(result.stdout.suffix(2000))")
            #expect(result.stdout.contains("(replay is paused), over BACKUP_MAX_STANDBY_LAG (2 s); backing up from the primary at 127.0.0.1:\(primary.port) for this pass"))
            let manifest = try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").first))
            #expect(manifest.sourcePort == primary.port)

            // Paused but within the bound: stale all the same, the primary is read.
            let paused = try await agent.run(["backup"], environment.merging(["BACKUP_RETENTION_DAYS": "1"]) { _, new in new })
            #expect(paused.status == 0, "\(paused.stderr)")
            #expect(paused.stdout.contains("replay on the standby at 127.0.0.1:\(standby.port) is paused with"), "\(paused.stdout.suffix(2000))")
            #expect(try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").last)).sourcePort == primary.port)

            // Caught up again: the standby is used.
            try await standby.query("SELECT pg_wal_replay_resume()")
            try await standby.waitUntilHealthy()
            #expect(try await agent.run(["backup"], environment.merging(["BACKUP_MAX_STANDBY_LAG": "2s", "BACKUP_RETENTION_DAYS": "1"]) { _, new in new }).status == 0)
            let newest = try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").last))
            #expect(newest.sourcePort == standby.port)
        }
    }

    @Test("a standby cut off from the primary: the pass reads the primary; with the primary down too, the standby as it is")
    func cutOffStandby() async throws {
        try await Self.withSmallLibrary { primary, standby in
            // The stream ends (as when the slot is lost or the network cut): everything received
            // is replayed, so the standby shows no lag, but it no longer follows the primary.
            _ = try await standby.query("ALTER SYSTEM SET primary_conninfo = ''")
            _ = try await standby.query("SELECT pg_reload_conf()")
            try await standby.waitUntil("the WAL receiver stopped") {
                (try? await standby.query("SELECT count(*) FROM pg_stat_wal_receiver").scalar) == "0"
            }
            try await primary.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = "LastModTimeInSecs" + 1"#, database: "Resolve")
            let (agent, environment) = try agent(primary, standby)
            defer { agent.remove() }
            let result = try await agent.run(["backup"], environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("the standby at 127.0.0.1:\(standby.port) does not stream from the primary (its WAL receiver is not running)"),
                    "\(result.stdout.suffix(2000))")
            #expect(try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").last)).sourcePort == primary.port)

            await primary.stop()
            let alone = try await agent.run(["backup"], environment.merging(["BACKUP_RETENTION_DAYS": "1"]) { _, new in new })
            #expect(alone.status == 0, "\(alone.stderr)")
            #expect(alone.stdout.contains("does not answer either"), "\(alone.stdout.suffix(2000))")
            #expect(alone.stdout.contains("backing up the standby as it is for this pass"))
            #expect(try agent.manifest(of: "Resolve", file: try #require(agent.backups(of: "Resolve").last)).sourcePort == standby.port)
        }
    }
}
