import Backups
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// The console's faults: the agent stopped during a console restore, and a console port that is
/// taken. Neither may cost a backup or leave a half-restored library behind.
@Suite("console: faults", .timeLimit(.minutes(5)))
struct ConsoleFaultTests {
    @Test("SIGTERM during a console restore: the agent exits 0 within its grace period and the new library is dropped")
    func sigtermDuringRestore() async throws {
        try await ConsoleHarness.with { console in
            let client = console.client
            let token = try await client.logIn(password: console.password)
            let file = try await console.stallingBackup()
            let started = try await client.send("POST", "/restore", form: [("csrf", token), ("file", file), ("as", "stopped_restore")])
            #expect(started.status == 303)
            try #require(await console.waitForStalledRestore(), "the restore never reached its last statement: \(console.log().suffix(1500))")
            let took = await console.agent.signalAndTime(SIGTERM, timeout: .seconds(40))
            let seconds = took.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
            print("measured: SIGTERM during a console restore -> exit after \(seconds.map { String(format: "%.2f", $0) } ?? "never") s")
            #expect(took != nil, "the agent did not exit within 40 s: \(console.log().suffix(1500))")
            #expect(console.agent.terminationStatus == 0, "exit status \(console.agent.terminationStatus)")
            let left = try await console.cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'stopped_restore'")
            #expect(left.scalar == "0", "the half-restored library was left behind")
            #expect(console.log().contains("console: restore cancelled"))
        }
    }

    @Test("a console port already in use: one error line, and the backups go on")
    func portTaken() async throws {
        let taken = try BlackholeListener()
        defer { taken.close() }
        try await ConsoleHarness.with(port: taken.port, ready: { console in
            !StoredBackup.all(in: BackupLayout(root: console.backupDirectory)).isEmpty && console.log().contains("web console did not start")
        }) { console in
            let log = console.log()
            let line = log.split(separator: "\n").first { $0.contains("web console did not start") } ?? ""
            #expect(line.contains("CONSOLE_PORT") && line.contains("\(taken.port)"), "\(line)")
            #expect(!log.contains(console.password))
            try await Task.sleep(for: .seconds(1))
            #expect(console.agent.isRunning, "the agent stopped with its console: \(log.suffix(1500))")
            let health = try await runProduct("backup-agent", ["healthcheck"], environment: console.cluster.agentEnvironment(backupDirectory: console.backupDirectory))
            #expect(health.status == 0, "\(health.stdout) \(health.stderr)")
        }
    }
}
