import Foundation
import LaterbaseCore
import Logging

/// One pass: every database backed up once, the roles once, state recorded.
///
/// Holds the `BACKUP_DIR` lock for its whole length. A database that fails is recorded with its
/// reason and the others go on; earlier backups are never touched. Leftover `.partial` files of
/// an interrupted pass (`kill -9`) are removed first, which is safe because the lock is held.
public struct BackupPass: Sendable {
    public let settings: BackupSettings
    public let tools: PostgresTools
    public let logger: Logger
    /// How long to wait for another agent's pass to finish before giving up.
    public var lockTimeout: Duration

    public init(settings: BackupSettings, tools: PostgresTools = PostgresTools(), lockTimeout: Duration = .seconds(2), logger: Logger) {
        self.settings = settings
        self.tools = tools
        self.lockTimeout = lockTimeout
        self.logger = logger
    }

    /// Runs the pass (only `database` when given). Returns what happened; throws only when the
    /// pass could not start at all (lock held, BACKUP_DIR unusable, pg_dump missing).
    public func run(only database: String? = nil, now: Date = Date()) async throws -> AgentState.Pass {
        let layout = BackupLayout(root: settings.backupDirectory)
        do {
            // 0700 whatever the umask: the lock, the roles and the restrict key live there.
            try SecureDirectory.create(layout.root, mode: 0o750)
            try SecureDirectory.create(layout.stateDirectory, mode: 0o700, enforce: true)
        } catch {
            throw BackupError(.backupDirectoryUnusable, "cannot create \(layout.stateDirectory): \(error); mount a writable volume at BACKUP_DIR (\(settings.backupDirectory))")
        }
        let lock = try await DirectoryLock.acquire(layout.lockFile, folder: settings.backupDirectory, timeout: lockTimeout)
        defer { lock.release() }
        tidyLibraryFolders(layout)

        let pgDump = try tools.require("pg_dump")
        let version = try await ProgramVersion.of(pgDump)
        let versionText = version.text
        guard let major = version.major else {
            throw BackupError(.pgDumpUnusable, "cannot read the version of \(pgDump) (it printed \"\(versionText)\")")
        }
        let help = try await ChildProcess(pgDump, ["--help"]).output()
        let restrictKey = help.contains("--restrict-key") ? try RestrictKey.load(layout) : nil
        // BACKUP_HOST (a standby) or, when it lags or does not answer, the primary: for the whole pass.
        let choice = await BackupSource.choose(self.settings, logger: logger)
        var settings = self.settings
        settings.source = choice.source
        let job = DatabaseBackup(settings: settings, pgDump: pgDump, pgDumpVersion: (major, versionText),
                                 restrictKey: restrictKey, logger: logger)

        var state = (try? AgentState.load(from: layout.stateFile)) ?? AgentState()
        var pass = AgentState.Pass(startedAt: now)
        if let warning = choice.warning { pass.warnings.append(warning) }
        let databases: [String]
        do {
            if let database {
                databases = [database]
            } else {
                let found = try await DatabaseDiscovery.databases(settings: settings, logger: logger)
                databases = found.databases
                pass.warnings += found.warnings
            }
        } catch {
            let reason = "cannot list the databases on \(settings.source.host):\(settings.source.port): \(error)"
            logger.error("backup pass failed", metadata: [LogKey.error: "\(reason)"])
            pass.failed[AgentState.Pass.allDatabases] = reason
            pass.finishedAt = Date()
            state.lastPass = pass
            try? state.save(to: layout.stateFile)
            return pass
        }
        if databases.isEmpty {
            pass.warnings.append("no Resolve library found on \(settings.source.host):\(settings.source.port); set PRIMARY_DBS to name the databases")
            logger.warning("no databases to back up", metadata: [LogKey.host: "\(settings.source.host)"])
        }
        if let warning = await dumpGlobals(layout, source: settings.source) { pass.warnings.append(warning) }

        for name in databases {
            try Task.checkCancellation()
            var entry = state.databases[name] ?? AgentState.DatabaseState()
            entry.lastAttempt = now
            do {
                let manifest = try await backUp(name, job: job, time: now, layout: layout)
                entry.lastSuccess = manifest.finishedAt
                entry.lastFile = manifest.file
                entry.lastError = nil
                pass.succeeded.append(name)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let reason = Self.explain(error)
                entry.lastError = reason
                pass.failed[name] = reason
                logger.error("backup failed; earlier backups are untouched", metadata: [LogKey.database: "\(name)", LogKey.error: "\(reason)"])
            }
            state.databases[name] = entry
            try? state.save(to: layout.stateFile)
        }
        pass.finishedAt = Date()
        state.lastPass = database == nil ? pass : Self.merge(single: pass, into: state.lastPass)
        try state.save(to: layout.stateFile)
        logger.info("backup pass finished", metadata: [
            "succeeded": "\(pass.succeeded.count)", "failed": "\(pass.failed.count)",
            LogKey.seconds: "\(String(format: "%.1f", pass.finishedAt!.timeIntervalSince(pass.startedAt)))",
        ])
        return pass
    }

    /// Runs `job` for `database`; a dump from a standby cancelled by a recovery conflict (a lock
    /// or cleanup replayed from the primary that the standby would not delay for longer) is
    /// taken again from the primary, with a warning.
    private func backUp(_ database: String, job: DatabaseBackup, time: Date, layout: BackupLayout) async throws -> BackupManifest {
        do {
            return try await job.run(database: database, time: time, previous: newestManifest(of: database, layout: layout))
        } catch {
            let primary = settings.primary
            let reason = Self.explain(error)
            guard !Task.isCancelled, BackupSource.isRecoveryConflict(error),
                  job.settings.source.host != primary.host || job.settings.source.port != primary.port else { throw error }
            logger.warning("the standby ended the dump (a conflict with recovery or a lost session); taking it from the primary instead",
                           metadata: [LogKey.database: "\(database)", LogKey.host: "\(primary.host):\(primary.port)", LogKey.error: "\(reason)"])
            return try await job.reading(from: primary).run(database: database, time: time, previous: newestManifest(of: database, layout: layout))
        }
    }

    /// A pass over one database (`backup --db`) updates that database's entry in the last full
    /// pass instead of replacing it, so another database's failure stays visible to
    /// `healthcheck` and keeps retention off until a pass succeeds for it.
    static func merge(single: AgentState.Pass, into previous: AgentState.Pass?) -> AgentState.Pass {
        guard var merged = previous else { return single }
        for name in single.succeeded {
            merged.failed[name] = nil
            if !merged.succeeded.contains(name) { merged.succeeded.append(name) }
        }
        for (name, reason) in single.failed {
            merged.failed[name] = reason
            merged.succeeded.removeAll { $0 == name }
        }
        merged.warnings = single.warnings
        merged.finishedAt = single.finishedAt
        return merged
    }

    /// The newest manifest in a database's folder, by file name (names sort by time).
    func newestManifest(of database: String, layout: BackupLayout) -> BackupManifest? {
        let directory = layout.directory(for: database)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(BackupLayout.manifestSuffix) && !$0.hasPrefix(".") }
            .sorted(by: >)
        for name in names {
            if let data = FileManager.default.contents(atPath: directory + "/" + name),
               let manifest = try? BackupManifest.decode(data) { return manifest }
        }
        return nil
    }

    /// `pg_dumpall --globals-only` into a 0600 file. Returns a warning instead of failing the pass.
    private func dumpGlobals(_ layout: BackupLayout, source: PrimarySettings) async -> String? {
        do {
            var process = ChildProcess(try tools.require("pg_dumpall"), ["--globals-only", "--no-password"])
            process.connect(to: source.connection(), application: "laterbase-backup")
            let sql = try await process.output(limit: 64 * 1024 * 1024)
            try SecureFile.writeAtomically(Data(sql.utf8), to: layout.globalsFile, mode: 0o600)
            return nil
        } catch {
            let warning = "roles were not saved (pg_dumpall --globals-only): \(Self.explain(error))"
            logger.warning("roles not saved", metadata: [LogKey.error: "\(Self.explain(error))"])
            return warning
        }
    }

    /// Removes the unfinished files an interrupted pass (`kill -9`) left — only Laterbase's own
    /// (``LibraryEntry/temporary``), safe because the lock is held — and names in one warning
    /// what in the library folders Laterbase did not make (left alone).
    private func tidyLibraryFolders(_ layout: BackupLayout) {
        for folder in BackupLayout.libraryFolders(in: layout) {
            let directory = layout.root + "/" + folder
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            where LibraryEntry.classify(name, in: directory) == .temporary {
                unlink(directory + "/" + name)
                logger.notice("removed an unfinished file from an interrupted pass", metadata: [LogKey.file: "\(TerminalText.escaped(folder + "/" + name))"])
            }
        }
        Pruner.warnAboutForeign(LibraryEntry.foreign(in: layout), logger: logger)
    }

    /// One line for the log and the state file, with what to do where we know it.
    package static func explain(_ error: any Error) -> String {
        switch error {
        case let error as GzipWriteError where error.isDiskFull:
            return "\(error); free space in BACKUP_DIR or lower the retention, then run `backup-agent backup`"
        case let error as PostgresError:
            return "\(error)"
        case let error as ChildProcessError:
            return "\(error)"
        case let error as DecodingError:
            return JSONFileProblem.text(error)
        case let error as NSError where error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain:
            return oneLine(error.localizedDescription)
        default:
            return oneLine(error)
        }
    }
}
