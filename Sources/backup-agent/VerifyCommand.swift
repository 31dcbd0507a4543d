import Agent
import ArgumentParser
import Backups
import Foundation
import LaterbaseCore
import Restore

/// `backup-agent verify [FILE|--all] [--restore-test]`: checksum and full gzip decode.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Checksum + gzip integrity (+ --restore-test).")

    @Argument(help: "A backup file (path, path under BACKUP_DIR, or file name). Default: the newest of each database.")
    var file: String?

    @Flag(help: "Verify every backup.")
    var all = false

    @Flag(help: "Also restore into a scratch database, compare the project list with the manifest, and drop it.")
    var restoreTest = false

    @Option(help: "Server for --restore-test (default: PRIMARY_HOST).")
    var host: String?

    @Option(help: "Port for --restore-test (default: PRIMARY_PORT).")
    var port: Int?

    func validate() throws {
        if all && file != nil { throw ValidationError("give a FILE or --all, not both") }
    }

    func run() async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load(logging: false)
            let layout = agent.layout
            let backups: [StoredBackup]
            if let file {
                backups = [try StoredBackup.find(file, in: layout)]
            } else {
                let stored = StoredBackup.all(in: layout)
                backups = all ? stored : Dictionary(grouping: stored, by: \.folder).values.compactMap(\.first).sorted { $0.database < $1.database }
            }
            guard !backups.isEmpty else { throw CommandFailure("no backups in \(layout.root) to verify") }
            // SIGTERM/SIGINT: a restore test's scratch database is dropped before the exit.
            let (restoreTest, host, port) = (restoreTest, host, port)
            let failures = try await TerminationSignals.cancelling(outcome: "during verify; a restore test's scratch database was removed", reportingFailure: true) {
                try await Self.verify(backups, agent: agent, restoreTest: restoreTest, host: host, port: port)
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }

    /// Verifies each backup, printing a line for each; returns how many failed.
    static func verify(_ backups: [StoredBackup], agent: AgentRuntime, restoreTest: Bool, host: String?, port: Int?) async throws -> Int {
        var failures = 0
        for backup in backups {
            try Task.checkCancellation()
            do {
                let result = try await DumpSource.verifyChecksum(backup)
                var line = "OK    \(backup.relativePath)  \(result.rawBytes) bytes of SQL, SHA-256 \(backup.manifest == nil ? "(no manifest)" : "matches")"
                if restoreTest {
                    let restored = try await agent.restoreTest(backup, host: host, port: port)
                    let expected = backup.manifest?.resolve.projects.map(\.name).sorted() ?? []
                    guard restored.sorted() == expected else {
                        throw CommandFailure("\(backup.relativePath) restored with \(restored.count) projects, the manifest lists \(expected.count)")
                    }
                    line += ", restore test passed (\(restored.count) projects)"
                }
                print(line)
            } catch {
                failures += 1
                if Task.isCancelled { throw error }
                print("FAIL  \(backup.relativePath)  \(oneLine(error))")
            }
        }
        return failures
    }
}
