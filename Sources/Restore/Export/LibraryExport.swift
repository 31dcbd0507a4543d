import Backups
import Crypto
import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// `backup-agent export --db NAME (--backup FILE | --at TIME | --live) --out PATH`: one library
/// as a custom-format archive (`pg_dump -Fc --blobs`, what Resolve's own library backup is and
/// its Restore reads), made by the `pg_dump` of the Resolve server's major version (a newer one
/// makes a file Resolve restores as an empty library).
///
/// From a dump or a moment the Resolve server is never touched: the dump is loaded into an empty
/// scratch server (``ScratchCluster/initialize(superuser:)``), or the archive replayed to TIME in
/// the scratch server of `restore --at`; `pg_dump -Fc` then reads that. `--live` reads the live
/// library. The file (``ExportFile``) is written under a temporary name, read back with
/// `pg_restore --list`, given its `.sha256`, and only then renamed; on any failure nothing is left.
public struct LibraryExport: Sendable {
    public enum Source: Sendable {
        case live
        case backup(StoredBackup)
        case at(Date)
    }

    public struct Exported: Sendable {
        public let file: ExportFile
        public let sha256: String
        public let bytes: Int64
        public let seconds: Double
        public var report: String {
            "exported \(file.path) (\(ByteText.text(bytes)), SHA-256 \(sha256) in \(file.name).sha256) in \(String(format: "%.1f", seconds)) s; check it with pg_restore --list, restore it in Resolve's Project Manager"
        }
    }

    /// The Resolve server (`--live`), the tools, the logger.
    public let target: RestoreTarget
    /// BACKUP_DIR: the undo window for `--at`, the scratch servers' folder.
    public let layout: ArchiveLayout
    /// PRIMARY_USER: the scratch servers' superuser.
    public let user: String
    /// `.laterbase/globals.sql` (roles), applied to an empty scratch server before a dump is loaded.
    public let globals: String?

    public init(target: RestoreTarget, layout: ArchiveLayout, user: String, globals: String?) {
        self.target = target
        self.layout = layout
        self.user = user
        self.globals = globals
    }

    public func run(database: String, source: Source, out: String, now: Date = Date()) async throws -> Exported {
        let time: Date = switch source {
        case .live: now
        case .backup(let backup): backup.time
        case .at(let moment): moment
        }
        let file = try ExportFile(out: out, library: database, time: time)
        let started = ContinuousClock.now
        unlink(file.temporaryPath)
        do {
            switch source {
            case .live:
                try await exportLive(database, into: file)
            case .backup(let backup):
                try await exportDump(backup, as: database, into: file)
            case .at(let moment):
                try await exportMoment(database, at: moment, now: now, into: file)
            }
            try Task.checkCancellation()
            // As the backups: the owner and its group read it, others not (it holds every project).
            chmod(file.temporaryPath, 0o640)
            let sha256 = try await SecureFile.digest(of: file.temporaryPath, using: SHA256.self)
            let bytes = ((try FileManager.default.attributesOfItem(atPath: file.temporaryPath))[.size] as? NSNumber)?.int64Value ?? 0
            try SecureFile.writeAtomically(Data("\(sha256)  \(file.name)\n".utf8), to: file.checksumPath, mode: 0o644)
            guard rename(file.temporaryPath, file.path) == 0 else { throw SystemCallError("rename() to \(file.path)") }
            SecureFile.syncDirectory(of: file.path)
            let elapsed = ContinuousClock.now - started
            return Exported(file: file, sha256: sha256, bytes: bytes,
                            seconds: elapsed.seconds)
        } catch {
            unlink(file.temporaryPath)
            if !FileManager.default.fileExists(atPath: file.path) { unlink(file.checksumPath) }
            throw error
        }
    }

    private func exportLive(_ database: String, into file: ExportFile) async throws {
        let server = target.server.with(database: database)
        let (versionNumber, size) = try await PostgresConnection.withConnection(server) { connection in
            (connection.serverVersionNumber, try connection.query("SELECT pg_database_size(current_database())").scalar.flatMap(Int64.init) ?? 0)
        }
        guard let major = PostgresMajorVersion(serverVersionNumber: versionNumber) else {
            throw RestoreError(.failed, "the Resolve server reports no usable version (\(versionNumber))")
        }
        let binaries = try await ServerPrograms.directory(major: major, tools: target.tools)
        try requireSpace(size, in: file)
        try await dump(database, from: server, binaries: binaries, into: file)
    }

    /// The dump loaded into an empty scratch server of the dump's server major version.
    private func exportDump(_ backup: StoredBackup, as database: String, into file: ExportFile) async throws {
        guard let manifest = backup.manifest, let major = PostgresMajorVersion(versionText: manifest.serverVersion) else {
            throw RestoreError(.failed, "\(backup.relativePath) has no readable manifest; the server version it came from is unknown")
        }
        let binaries = try await ServerPrograms.directory(major: major, tools: target.tools)
        // The loaded library, about its raw SQL size, plus the archive.
        if let free = ScratchSpace.free(at: layout.root), free.available < manifest.rawBytes {
            throw RestoreError(.noSpace, "loading \(backup.file) needs about \(ByteText.text(manifest.rawBytes)) under \(layout.root), \(ByteText.text(free.available)) is free")
        }
        try requireSpace(manifest.compressedBytes, in: file)
        await ScratchCluster.removeAbandoned(in: layout)
        let (scratch, lock) = try ScratchCluster.create(in: layout, binaries: binaries)
        defer {
            lock?.release()
            unlink(scratch.root + ".lock")
        }
        do {
            try await scratch.initialize(superuser: user)
            try await scratch.start(timeoutSeconds: 60)
            let loader = RestoreTarget(server: scratch.connection(user: user), tools: target.tools, logger: target.logger, jobs: target.jobs)
            if let globals, FileManager.default.fileExists(atPath: globals) {
                // Roles the dump's owners and grants name; "already exists" for the superuser is fine.
                var psql = ChildProcess(try target.tools.require("psql"), ["-X", "-q", "-f", globals])
                psql.connect(to: scratch.connection(user: user), application: "laterbase-export")
                _ = try? await psql.output()
            }
            try await loader.newLibrary(named: database).restore(from: DumpSource(backup))
            try await dump(database, from: scratch.connection(user: user, database: database), binaries: binaries, into: file)
        } catch {
            await scratch.remove()
            throw error
        }
        await scratch.remove()
    }

    /// The archive replayed to `time` in the scratch server of `restore --at`; pg_dump reads it there.
    private func exportMoment(_ database: String, at time: Date, now: Date, into file: ExportFile) async throws {
        let restore = PointInTimeRestore(layout: layout, target: target, user: user)
        try await restore.withServer(at: time, now: now, purpose: "exporting \(database) as it was at a point in time", library: database) { scratch, _, selective in
            if let selective { try await PointInTimeRestore.requireKept(database, selective, on: scratch.connection(user: user), at: time) }
            let server = scratch.connection(user: user, database: database)
            let size = try await PostgresConnection.withConnection(server) { connection in
                try connection.query("SELECT pg_database_size(current_database())").scalar.flatMap(Int64.init) ?? 0
            }
            try requireSpace(size, in: file)
            try await dump(database, from: server, binaries: scratch.binaries, into: file)
        }
    }

    /// `pg_dump -Fc --blobs` into the temporary file, then `pg_restore --list` of it.
    private func dump(_ database: String, from server: ConnectionParameters, binaries: String, into file: ExportFile) async throws {
        var dump = ChildProcess(binaries + "/pg_dump", ["--format=custom", "--blobs", "--no-password", "--file=\(file.temporaryPath)"])
        dump.connect(to: server, application: "laterbase-export")
        _ = try await dump.output()
        _ = try await ChildProcess(binaries + "/pg_restore", ["--list", file.temporaryPath]).output(limit: 64 * 1024 * 1024)
        target.logger.info("exported", metadata: [LogKey.database: "\(database)", LogKey.path: "\(file.path)"])
    }

    /// Refuses (one line) when the export's folder cannot hold about `bytes` more.
    private func requireSpace(_ bytes: Int64, in file: ExportFile) throws {
        let folder = (file.path as NSString).deletingLastPathComponent
        guard let free = ScratchSpace.free(at: folder), free.available < bytes + bytes / 10 + 16 << 20 else { return }
        throw RestoreError(.noSpace, "exporting needs about \(ByteText.text(bytes + bytes / 10)) in \(folder), \(ByteText.text(free.available)) is free; free space or choose another --out")
    }
}
