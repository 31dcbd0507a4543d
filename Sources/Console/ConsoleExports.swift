import Agent
import Backups
import Foundation
import LaterbaseCore
import Logging
import Restore

/// The console's "Download for Resolve": one export at a time in the background
/// (``LibraryExport`` into `BACKUP_DIR/.exports/`), then a download link on `/exports` for a
/// day; older files are removed whenever the page or a new export looks at the folder.
actor ConsoleExports {
    enum Outcome: Sendable, Equatable {
        case running, succeeded(String), failed(String)
    }

    struct Job: Sendable {
        let label: String
        let startedAt: Date
        var finishedAt: Date?
        var outcome: Outcome
    }

    /// One file ready for download.
    struct File: Sendable {
        let name: String
        let bytes: Int64
        let made: Date
        let sha256: String?
    }

    static let keepSeconds: TimeInterval = 86_400

    private let runtime: AgentRuntime
    private let logger: Logger
    private(set) var job: Job?
    let folder: String

    init(runtime: AgentRuntime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
        folder = runtime.settings.backupDirectory + "/.exports"
    }

    /// Starts an export of `database` from `source`. - Throws: ``ConsoleProblem`` while one runs.
    func start(_ database: String, source: LibraryExport.Source, label: String) throws {
        if let job, job.outcome == .running { throw ConsoleProblem("an export is running (\(job.label)); one at a time: wait for it") }
        try SecureDirectory.create(folder, mode: 0o700)
        _ = files()
        job = Job(label: label, startedAt: Date(), outcome: .running)
        logger.notice("console: export started", metadata: ["what": "\(label)"])
        let (runtime, folder) = (self.runtime, self.folder)
        Task {
            let outcome: Outcome
            do {
                outcome = .succeeded(try await runtime.export(database, source: source, out: folder).file.name)
            } catch {
                outcome = .failed(oneLine(error))
            }
            self.finish(outcome)
        }
    }

    private func finish(_ outcome: Outcome) {
        job?.outcome = outcome
        job?.finishedAt = Date()
        if case .failed(let reason) = outcome { logger.error("console: export failed", metadata: [LogKey.error: "\(reason)"]) }
    }

    /// The files ready for download, newest first; removes those older than a day.
    func files(now: Date = Date()) -> [File] {
        let manager = FileManager.default
        var found: [File] = []
        let names = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
        // What an export killed with the agent left (its temporary name): never while one runs.
        if job?.outcome != .running {
            for name in names where name.hasPrefix(".") && name.hasSuffix(".partial") { try? manager.removeItem(atPath: folder + "/" + name) }
        }
        for name in names where name.hasSuffix(".backup") && !name.hasPrefix(".") {
            let path = folder + "/" + name
            guard let attributes = try? manager.attributesOfItem(atPath: path), let made = attributes[.modificationDate] as? Date else { continue }
            if now.timeIntervalSince(made) > Self.keepSeconds {
                try? manager.removeItem(atPath: path)
                try? manager.removeItem(atPath: path + ".sha256")
                continue
            }
            let sha = (try? String(contentsOfFile: path + ".sha256", encoding: .utf8)).flatMap { $0.split(separator: " ").first.map(String.init) }
            found.append(File(name: name, bytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0, made: made, sha256: sha))
        }
        return found.sorted { $0.made > $1.made }
    }

    /// The path of a file ready for download named exactly `name`, or nil.
    func path(of name: String) -> String? {
        files().contains { $0.name == name } ? folder + "/" + name : nil
    }
}
