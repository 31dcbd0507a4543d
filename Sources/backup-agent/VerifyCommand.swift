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
            let (all, restoreTest, host, port) = (all, restoreTest, host, port)
            let failures = try await TerminationSignals.cancelling(outcome: "during verify; a restore test's scratch database was removed", reportingFailure: true) {
                let outcomes = all ? try await agent.verifyAll()
                    : try await BackupVerifier(layout: layout, logger: agent.logger).verify(backups, fullCheck: false)
                return try await Self.report(outcomes, agent: agent, restoreTest: restoreTest, host: host, port: port)
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }

    /// Prints one line per backup — each name once; a name that shares its file with one above
    /// (a hard link) says so, the file having been read once for all of them — and runs the
    /// restore tests. Returns how many backups failed.
    static func report(_ outcomes: [BackupVerifier.Outcome], agent: AgentRuntime, restoreTest: Bool, host: String?, port: Int?) async throws -> Int {
        var failures = 0
        for outcome in outcomes {
            try Task.checkCancellation()
            let name = outcome.backup.relativePath
            let same = outcome.sameFileAs.map { "same file as \($0.relativePath)" }
            switch outcome.verdict {
            case .damaged(let why):
                failures += 1
                print(TerminalText.escaped("FAIL  \(name)  " + (same.map { "\($0): " } ?? "") + why))
                continue
            case .removed:
                print(TerminalText.escaped("GONE  \(name)  removed while verify ran (retention)"))
                continue
            case .intact, .unchecked:
                break
            }
            if let same {
                print(TerminalText.escaped("OK    \(name)  \(same)"))
                continue
            }
            var line = "OK    \(name)  \(outcome.rawBytes ?? 0) bytes of SQL, SHA-256 \(outcome.backup.manifest == nil ? "(no manifest)" : "matches")"
            if restoreTest {
                do {
                    let restored = try await agent.restoreTest(outcome.backup, host: host, port: port)
                    let expected = outcome.backup.manifest?.resolve.projects.map(\.name).sorted() ?? []
                    guard restored.sorted() == expected else {
                        throw CommandFailure("restored with \(restored.count) projects, the manifest lists \(expected.count)")
                    }
                    line += ", restore test passed (\(restored.count) projects)"
                } catch {
                    failures += 1
                    if Task.isCancelled { throw error }
                    print(TerminalText.escaped("FAIL  \(name)  restore test: \(oneLine(error))"))
                    continue
                }
            }
            print(TerminalText.escaped(line))
        }
        return failures
    }
}
