import Crypto
import Foundation
import LaterbaseCore
import Logging

/// Whether a backup file still holds what its manifest says: its size, its SHA-256 and (for
/// `verify`) a full gzip decode. Results are kept in the ``VerificationCache``; a file is read
/// again only when it changed since, or when `verify` re-reads everything.
public struct BackupVerifier: Sendable {
    public let layout: BackupLayout
    public let logger: Logger

    public init(layout: BackupLayout, logger: Logger) {
        self.layout = layout
        self.logger = logger
    }

    public enum Verdict: Sendable, Equatable {
        case intact
        /// One line: what is wrong, and that the file is unusable.
        case damaged(String)
        /// Not known: no manifest to check against, or not read since it last changed.
        case unchecked
        /// The file went away while it was being read (retention ran meanwhile).
        case removed

        public var damage: String? { if case .damaged(let why) = self { why } else { nil } }
    }

    /// What is known of `backup` without reading it: its size against the manifest, and the cache.
    public static func known(_ backup: StoredBackup, in cache: VerificationCache) -> Verdict {
        guard let manifest = backup.manifest else {
            return cache.entry(for: backup.identity)?.problem.map(Verdict.damaged) ?? .unchecked
        }
        if backup.size != manifest.compressedBytes {
            return .damaged("it is \(backup.size) bytes, its manifest says \(manifest.compressedBytes): the file is truncated or damaged")
        }
        guard let entry = cache.entry(for: backup.identity) else { return .unchecked }
        if let problem = entry.problem { return .damaged(problem) }
        if entry.sha256 != manifest.sha256 {
            return .damaged("its SHA-256 \((entry.sha256 ?? "?").prefix(12))… does not match its manifest's \(manifest.sha256.prefix(12))…: the file is damaged")
        }
        return .intact
    }

    /// The damaged backups among `backups`, from what is known (no file is read): `healthcheck`, `list`.
    public static func damaged(_ backups: [StoredBackup], in cache: VerificationCache) -> [(backup: StoredBackup, reason: String)] {
        backups.compactMap { backup in known(backup, in: cache).damage.map { (backup, $0) } }
    }

    /// The verdict on `backup`, its SHA-256 computed when it is not known yet (retention, before
    /// a backup stands in for older ones); the result is recorded in `cache`.
    public func check(_ backup: StoredBackup, cache: inout VerificationCache) async -> Verdict {
        let verdict = Self.known(backup, in: cache)
        guard verdict == .unchecked, backup.manifest != nil, let identity = backup.identity else { return verdict }
        let sha: String?
        var problem: String?
        do {
            sha = try await SecureFile.digest(of: backup.path, using: SHA256.self)
        } catch {
            sha = nil
            problem = "it cannot be read: \(oneLine(error))"
        }
        guard FileIdentity.of(backup.path) == identity else {
            return FileIdentity.of(backup.path) == nil ? .removed : .damaged("it changed while it was being verified")
        }
        cache.record(identity, sha256: sha, problem: problem, decoded: false)
        return Self.known(backup, in: cache)
    }

    /// One backup's result of ``verify(_:fullCheck:)``.
    public struct Outcome: Sendable {
        public let backup: StoredBackup
        /// The oldest backup whose file this one shares (a hard link): that file was read once, for all its names.
        public let sameFileAs: StoredBackup?
        public let verdict: Verdict
        /// Bytes of SQL in the file, when it decoded to the end.
        public let rawBytes: Int64?
    }

    /// Reads every file once — the names of one file (hard links) together, where the first of them is given —
    /// with a full gzip decode and its SHA-256, judges each name by its own manifest, and records
    /// the results. With `fullCheck` (`verify --all`) the run is recorded as the last full check.
    public func verify(_ backups: [StoredBackup], fullCheck: Bool) async throws -> [Outcome] {
        var groups: [String: [StoredBackup]] = [:]
        var order: [String] = []
        for backup in backups {
            let key = backup.identity?.file ?? backup.path
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(backup)
        }
        var outcomes: [Outcome] = []
        var cache = VerificationCache()
        for key in order {
            try Task.checkCancellation()
            let names = groups[key]!
            // The oldest name: the one the others were linked to (their manifests' `unchangedFrom`).
            let first = names.min { $0.time < $1.time }!
            var raw: Int64?
            var sha: String?
            var problem: String?
            logger.debug("reading a backup file to verify it", metadata: [
                LogKey.file: "\(first.relativePath)", "names": "\(names.count)"])
            do {
                let result = try await GzipReader.read(first.path)
                (raw, sha) = (result.rawBytes, result.sha256)
            } catch let error as GzipReadError {
                problem = "it \(error.problem)"
            } catch {
                problem = "it cannot be read: \(oneLine(error))"
            }
            let now = FileIdentity.of(first.path)
            for backup in names {
                let verdict: Verdict
                if now == nil {
                    verdict = .removed
                } else if let identity = backup.identity, now == identity {
                    cache.record(identity, sha256: sha, problem: problem, decoded: true)
                    verdict = Self.known(backup, in: cache)
                } else {
                    verdict = .damaged("it changed while it was being verified; run verify again")
                }
                outcomes.append(Outcome(backup: backup, sameFileAs: backup.path == first.path ? nil : first, verdict: verdict, rawBytes: raw))
            }
        }
        let damaged = outcomes.filter { $0.verdict.damage != nil }
        for outcome in damaged {
            logger.error("damaged backup: it is kept, but retention no longer counts it; restore another backup", metadata: [
                LogKey.file: "\(outcome.backup.relativePath)", LogKey.error: "\(outcome.verdict.damage ?? "")"])
        }
        let files = order.count
        do {
            try VerificationCache.update(layout) { stored in
                stored.entries.merge(cache.entries) { _, new in new }
                if fullCheck {
                    stored.keepOnly(StoredBackup.all(in: layout))
                    stored.lastFullCheck = .init(at: Date(), files: files, damaged: damaged.map(\.backup.relativePath))
                }
            }
        } catch {
            logger.warning("cannot record what was verified; it is read again next time", metadata: [LogKey.error: "\(oneLine(error))"])
        }
        return outcomes
    }
}
