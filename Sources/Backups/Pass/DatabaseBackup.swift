import Crypto
import Foundation
import LaterbaseCore
import Logging

/// Backs up one database: `pg_dump --clean --if-exists` streamed through the parallel gzip
/// writer into a hidden `.laterbase-<name>.partial` file in the database's folder, fsynced, then renamed to its
/// final name (or, when the library has not changed since `previous`, replaced by a hard link
/// to the earlier file), then the manifest. On any failure or cancellation the partial file is
/// removed and nothing else is touched.
public struct DatabaseBackup: Sendable {
    public private(set) var settings: BackupSettings
    public let layout: BackupLayout
    public let pgDump: String
    /// `pg_dump --version`'s major version and text, looked up once per pass.
    public let pgDumpVersion: (major: PostgresMajorVersion, text: String)
    public let strategy: DeflateStrategy
    public let blockSize: Int
    /// pg_dump's `--restrict-key` (PostgreSQL releases since August 2025 put a random one in every
    /// dump otherwise, so no two dumps of an unchanged library would be equal). Nil when this
    /// pg_dump has no such option.
    public let restrictKey: String?
    public let logger: Logger

    public init(settings: BackupSettings, pgDump: String, pgDumpVersion: (major: PostgresMajorVersion, text: String), restrictKey: String?,
                strategy: DeflateStrategy = .adaptive, blockSize: Int = ParallelGzipWriter.defaultBlockSize, logger: Logger) {
        self.settings = settings
        self.layout = BackupLayout(root: settings.backupDirectory)
        self.pgDump = pgDump
        self.pgDumpVersion = pgDumpVersion
        self.strategy = strategy
        self.blockSize = blockSize
        self.restrictKey = restrictKey
        self.logger = logger
    }

    /// The same job reading from `source` instead of `settings.source`.
    public func reading(from source: PrimarySettings) -> DatabaseBackup {
        var copy = self
        copy.settings.source = source
        return copy
    }

    /// Runs the backup of `database` stamped `time`. Returns the manifest written.
    public func run(database: String, time: Date, previous: BackupManifest?) async throws -> BackupManifest {
        var source = settings.source.connection(database: database)
        // The project list is the first read of the library's tables: it waits for a lock as
        // long as pg_dump would, and a lock that outlasts that fails the library right here.
        source.lockTimeoutSeconds = settings.lockWaitSeconds
        source.statementTimeoutSeconds = settings.lockWaitSeconds + ConnectionParameters.defaultStatementTimeoutSeconds
        let (serverVersion, serverMajor, catalogResult) = try await PostgresConnection.withConnection(source) { connection in
            let version = try connection.query("SHOW server_version").scalar ?? "?"
            let major = PostgresMajorVersion(serverVersionNumber: connection.serverVersionNumber)
            // A catalog that cannot be read (an unknown Resolve schema) must not cost the backup.
            let catalog: Result<ResolveCatalog, PostgresError>
            do throws(PostgresError) { catalog = .success(try connection.resolveCatalog()) } catch { catalog = .failure(error) }
            return (version, major, catalog)
        }
        var catalogWarning: String?
        let catalog: ResolveCatalog
        switch catalogResult {
        case .success(let read): catalog = read
        case .failure(let error) where error.sqlState == "55P03":
            throw BackupLockTimeout(database: database, seconds: settings.lockWaitSeconds, error: error)
        case .failure(let error):
            catalog = ResolveCatalog(schemaVersion: nil, projects: [])
            catalogWarning = "the Resolve project list could not be read: \(error)"
            logger.warning("backing up without the project list", metadata: [LogKey.database: "\(database)", LogKey.error: "\(error)"])
        }
        if let serverMajor, pgDumpVersion.major.code < serverMajor.code {
            throw BackupError(.pgDumpTooOld, "pg_dump \(pgDumpVersion.major) is older than the server (PostgreSQL \(serverMajor)) and cannot dump it; install the PostgreSQL \(serverMajor) client tools (e.g. postgresql-client-\(serverMajor)) or set PG_BINDIR to them")
        }

        let directory = layout.directory(for: database)
        try SecureDirectory.create(directory, mode: 0o750)
        var stamp = time
        var name = BackupLayout.fileName(database: database, at: stamp)
        while FileManager.default.fileExists(atPath: directory + "/" + name) {
            stamp += 1
            name = BackupLayout.fileName(database: database, at: stamp)
        }
        let finalPath = directory + "/" + name
        let partialPath = BackupLayout.temporaryPath(for: finalPath)
        let started = Date()
        let fd = open(partialPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw BackupError(.fileSystem, "cannot create \(partialPath): \(String(cString: strerror(errno)))")
        }
        var descriptorOpen = true
        var keepPartial = false
        defer {
            if descriptorOpen { close(fd) }
            if !keepPartial { unlink(partialPath) }
        }
        guard fchmod(fd, 0o640) == 0 else {
            throw BackupError(.fileSystem, "cannot set the mode of \(partialPath): \(String(cString: strerror(errno)))")
        }
        let writer = ParallelGzipWriter(descriptor: fd, level: settings.compressionLevel, strategy: strategy, blockSize: blockSize)
        let summary: GzipSummary
        do {
            try await dumpProcess(database: database).run(onOutput: { try await writer.write($0) })
            summary = try await writer.finish()
        } catch {
            await writer.abandon()
            throw error
        }
        guard fsync(fd) == 0 else { throw GzipWriteError(errno: errno) }
        close(fd)
        descriptorOpen = false

        var manifest = BackupManifest(
            database: database, file: name, serverVersion: serverVersion, pgDumpVersion: pgDumpVersion.text,
            startedAt: started, finishedAt: Date(), rawBytes: summary.rawBytes, compressedBytes: summary.compressedBytes,
            sha256: summary.sha256, contentFingerprint: summary.contentFingerprint,
            sourceHost: settings.source.host, sourcePort: settings.source.port,
            compression: .init(level: settings.compressionLevel, strategy: strategy, blockSize: blockSize),
            unchangedFrom: nil, resolve: catalog)
        manifest.catalogWarning = catalogWarning

        if let previous, let original = await reusable(previous, for: summary, in: directory),
           link(directory + "/" + original.file, finalPath) == 0 {
            // Unchanged library: the new name shares the earlier file's bytes.
            manifest.unchangedFrom = original.unchangedFrom ?? original.file
            manifest.sha256 = original.sha256
            manifest.compressedBytes = original.compressedBytes
        } else {
            guard rename(partialPath, finalPath) == 0 else {
                throw BackupError(.fileSystem, "cannot rename the finished backup to \(finalPath): \(String(cString: strerror(errno)))")
            }
            keepPartial = true
        }
        SecureFile.syncDirectory(of: finalPath)
        do {
            try Self.writeManifest(manifest, beside: finalPath)
        } catch {
            // No manifest, no backup: a file without its checksum must not pass for one.
            unlink(finalPath)
            SecureFile.syncDirectory(of: finalPath)
            throw error
        }
        record(finalPath, sha256: manifest.sha256)
        logger.info("backup written", metadata: [
            LogKey.database: "\(database)", LogKey.file: "\(name)", LogKey.bytes: "\(manifest.compressedBytes)",
            "raw_bytes": "\(summary.rawBytes)", "projects": "\(catalog.projects.count)",
            "unchanged_from": "\(manifest.unchangedFrom ?? "-")",
            LogKey.seconds: "\(String(format: "%.1f", manifest.finishedAt.timeIntervalSince(started)))",
        ])
        return manifest
    }

    /// The manifest, written under Laterbase's hidden temporary name, then renamed beside the backup.
    static func writeManifest(_ manifest: BackupManifest, beside backupPath: String) throws {
        let path = BackupLayout.manifestPath(forBackup: backupPath)
        let temporary = BackupLayout.temporaryPath(for: path)
        try SecureFile.writeAtomically(try manifest.encoded(), to: temporary, mode: 0o640)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw BackupError(.fileSystem, "cannot rename the manifest to \(path): \(reason)")
        }
        SecureFile.syncDirectory(of: path)
    }

    /// Records the new backup as verified: its SHA-256 was computed from the bytes written
    /// (or, for a link, the earlier file was checked just now), so retention need not read it.
    private func record(_ path: String, sha256: String) {
        guard let identity = FileIdentity.of(path) else { return }
        do {
            try VerificationCache.update(layout) { $0.record(identity, sha256: sha256, problem: nil, decoded: false) }
        } catch {
            logger.warning("cannot record the new backup as verified; retention reads it once", metadata: [LogKey.error: "\(oneLine(error))"])
        }
    }

    /// The earlier backup whose bytes can stand for this one: same content and block size, and
    /// its file still there and intact (every hourly point of an idle library shares these bytes,
    /// so a damaged file must not be linked again). Its SHA-256 is read again only when the file
    /// changed since it was last verified (``VerificationCache``); `verify --all` re-reads it daily.
    private func reusable(_ previous: BackupManifest, for summary: GzipSummary, in directory: String) async -> BackupManifest? {
        let path = directory + "/" + previous.file
        guard previous.contentFingerprint == summary.contentFingerprint, previous.compression.blockSize == blockSize,
              let identity = FileIdentity.of(path), identity.size == previous.compressedBytes else { return nil }
        if let known = VerificationCache.load(layout).entry(for: identity), known.problem == nil, known.sha256 == previous.sha256 {
            return previous
        }
        guard (try? await SecureFile.digest(of: path, using: SHA256.self)) == previous.sha256 else {
            logger.warning("the previous backup does not match its manifest; writing a new copy instead of linking to it",
                           metadata: [LogKey.file: "\(previous.file)"])
            return nil
        }
        return previous
    }

    /// `pg_dump` with the connection in its environment: no host, user, database or password
    /// in its arguments (a database name containing `=` would otherwise be read as a conninfo).
    private func dumpProcess(database: String) -> ChildProcess {
        // A lock held for long (a Resolve schema upgrade) fails this library after
        // BACKUP_LOCK_WAIT instead of blocking the pass and the BACKUP_DIR lock for good.
        var arguments = ["--clean", "--if-exists", "--no-password", "--format=plain", "--encoding=UTF8", "--lock-wait-timeout=\(settings.lockWaitSeconds * 1000)"]
        if let restrictKey { arguments.append("--restrict-key=\(restrictKey)") }
        var process = ChildProcess(pgDump, arguments)
        process.connect(to: settings.source.connection(database: database), application: "laterbase-backup")
        return process
    }
}

