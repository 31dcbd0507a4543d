import Foundation
import LaterbaseCore
import Logging

/// Takes one base backup of the primary for the undo window: `pg_basebackup -Ft -X stream`,
/// compressed with zstd (``BaseBackupCompression``), into `.base/.tmp-<stamp>/`, then the manifest, then a rename to `.base/<stamp>/` (fsynced),
/// so a folder under its final name is always complete. On failure or cancellation the
/// temporary folder is removed. The password reaches pg_basebackup in its environment only.
public struct BaseBackupJob: Sendable {
    public let primary: PrimarySettings
    public let layout: ArchiveLayout
    public let tools: PostgresTools
    public let logger: Logger
    /// nil: chosen from pg_basebackup's version and whether zstd is installed (``BaseBackupCompression/plan(pgBasebackupMajor:zstd:)``).
    public var compression: BaseBackupCompression.Plan?

    public init(primary: PrimarySettings, layout: ArchiveLayout, tools: PostgresTools = PostgresTools(), logger: Logger) {
        self.primary = primary
        self.layout = layout
        self.tools = tools
        self.logger = logger
    }

    /// Runs the backup; returns the stored result.
    @discardableResult
    public func run(now: Date = Date()) async throws -> StoredBaseBackup {
        let manager = FileManager.default
        try manager.createDirectory(atPath: layout.baseDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for leftover in (try? manager.contentsOfDirectory(atPath: layout.baseDirectory)) ?? [] where leftover.hasPrefix(ArchiveLayout.temporaryPrefix) {
            try? manager.removeItem(atPath: layout.baseDirectory + "/" + leftover)
        }
        let facts = try await PostgresConnection.withConnection(primary.connection()) { connection in
            let size = try connection.walSegmentSize()
            let version = try connection.query("SHOW server_version").scalar ?? "?"
            let rows = try connection.query("SELECT datname, oid FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1").rows
            let oids = Dictionary(rows.compactMap { row in row[0].flatMap { name in row[1].flatMap(UInt32.init).map { (name, $0) } } }) { first, _ in first }
            let fullPageWrites = try connection.query("SHOW full_page_writes").scalar == "on"
            return (segmentSize: size ?? 16 * 1024 * 1024, version: version, versionNumber: connection.serverVersionNumber,
                    databases: rows.compactMap { $0[0] }, oids: oids, fullPageWrites: fullPageWrites)
        }
        let name = ArchiveLayout.baseName(at: now)
        let temporary = layout.baseDirectory + "/" + ArchiveLayout.temporaryPrefix + name
        let final = layout.baseDirectory + "/" + name
        guard !manager.fileExists(atPath: final) else { throw ArchiveError(.badBaseBackup, "base backup \(final) already exists") }
        logger.info("base backup starting", metadata: [LogKey.host: "\(primary.host):\(primary.port)", LogKey.path: "\(final)"])
        do {
            let program = try tools.require("pg_basebackup")
            let plan = try await plan(program)
            var child = ChildProcess(program, ["-D", temporary, "-Ft"] + plan.arguments + [
                "-X", "stream", "-c", "fast", "--no-password", "--label=laterbase undo window",
            ])
            child.connect(to: primary.connection(), application: "laterbase-base-backup")
            child.gracePeriod = .seconds(5)
            try await child.run(onOutput: { _ in })
            if plan.zstdAfterwards, let zstd = tools.find("zstd") {
                try await BaseBackupCompression.compressTarFiles(in: temporary, zstd: zstd)
            }
            guard let data = manager.contents(atPath: temporary + "/backup_manifest"),
                  let range = BaseBackupManifest.walRange(fromBackupManifest: data) else {
                throw ArchiveError(.baseBackupFailed, "pg_basebackup wrote no readable backup_manifest (PostgreSQL 13 or newer is needed for the undo window)")
            }
            let bytes = ((try? manager.contentsOfDirectory(atPath: temporary)) ?? []).reduce(Int64(0)) { total, file in
                total + (((try? manager.attributesOfItem(atPath: temporary + "/" + file))?[.size] as? NSNumber)?.int64Value ?? 0)
            }
            let manifest = BaseBackupManifest(startLSN: range.start, endLSN: range.end, timeline: range.timeline, startedAt: now,
                                              finishedAt: Date(), walSegmentSize: facts.segmentSize, serverVersionNumber: facts.versionNumber,
                                              serverVersion: facts.version, databases: facts.databases, databaseOIDs: facts.oids,
                                              fullPageWrites: facts.fullPageWrites, bytes: bytes, sourceHost: "\(primary.host):\(primary.port)")
            try SecureFile.writeAtomically(try JSONCoding.encoder.encode(manifest), to: temporary + "/" + ArchiveLayout.manifestName, mode: 0o600)
            guard rename(temporary, final) == 0 else { throw ArchiveError(.baseBackupFailed, "cannot rename \(temporary) to \(final): \(String(cString: strerror(errno)))") }
            SecureFile.syncDirectory(of: final)
            logger.info("base backup finished", metadata: [LogKey.path: "\(final)", LogKey.bytes: "\(bytes)", "start_lsn": "\(range.start)",
                                                           "compression": "\(plan.compression.rawValue)"])
            return StoredBaseBackup(name: name, path: final, manifest: manifest)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw error
        }
    }

    /// The compression for this pg_basebackup (its `--version`) and the zstd program on PATH,
    /// or ``compression`` when set.
    func plan(_ program: String) async throws -> BaseBackupCompression.Plan {
        if let compression { return compression }
        return BaseBackupCompression.plan(pgBasebackupMajor: try await ProgramVersion.of(program).major, zstd: tools.find("zstd"))
    }
}
