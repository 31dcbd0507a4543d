import Foundation

/// `restore --at` of one library unpacks what that library needs and no more: the server-wide
/// files, the system databases (template0, template1, postgres) and that library. Every other
/// library's relation files become sparse files of their size, all zeros (what pgBackRest's
/// `--db-include` does), which take no disk and no time to write. Replay runs through them as
/// usual: each page that the WAL changes after the base backup's checkpoint starts with a
/// full-page image (with `full_page_writes = on`, PostgreSQL's default), so almost no record
/// needs what was there before. The few that do (a VACUUM's visibility record on a page it did
/// not change) find an all-zero page, which replay reports as an invalid page: the scratch
/// server runs with `ignore_invalid_pages = on`, so that is a warning, not a PANIC, and each such
/// warning is read back from its log (``invalidPagesElsewhere(inLog:)``). What the zero-filled
/// libraries hold afterwards is garbage, and nothing reads it: only the one library is dumped.
///
/// The guards, in ``PointInTimeRestore``: an invalid page anywhere but in a zero-filled library,
/// a scratch server that stops during replay, or a library whose name at TIME belongs to another
/// OID than the one kept (renamed or made again since the base backup) — each makes the restore
/// unpack everything and replay again, with PostgreSQL's own checks whole.
public struct SelectiveUnpack: Sendable, Equatable {
    /// The library's OID in the base backup: the folder `base/<oid>` that is unpacked.
    public let kept: UInt32
    /// The other libraries' OIDs, whose relation files are zero-filled.
    public let zeroed: Set<UInt32>

    /// The plan for restoring `database` from a base backup with `manifest`; nil when everything
    /// is unpacked: the manifest predates the OIDs, the primary wrote no full-page images
    /// (`full_page_writes = off`: replay would meet zeroed pages it cannot read), the library is
    /// not in the base backup (made or renamed after it), or there is no other library. Pure.
    public static func plan(_ manifest: BaseBackupManifest, keeping database: String) -> SelectiveUnpack? {
        guard manifest.fullPageWrites == true, let oids = manifest.databaseOIDs, let kept = oids[database] else { return nil }
        // Never a system database (below FirstNormalObjectId), never `postgres` (the scratch
        // server is queried there), never an OID two names share.
        let zeroed = Set(oids.filter { $0.key != database && $0.key != "postgres" && $0.value >= 16384 && $0.value != kept }.values)
        return zeroed.isEmpty ? nil : SelectiveUnpack(kept: kept, zeroed: zeroed)
    }

    /// `tar` options that leave out the zeroed libraries' relation files (`base/<oid>/<digits>…`);
    /// their `PG_VERSION` and `pg_filenode.map` are unpacked.
    var tarExclusions: [String] {
        ["--anchored", "--wildcards"] + zeroed.sorted().map { "--exclude=base/\($0)/[0-9]*" }
    }

    /// Whether `path` (relative to the data directory) is a relation file of a zeroed library. Pure.
    public func isZeroed(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "base", let oid = UInt32(parts[1]), zeroed.contains(oid),
              let first = parts[2].unicodeScalars.first else { return false }
        return CharacterSet.decimalDigits.contains(first)
    }

    /// The relations of the invalid-page warnings in a scratch server's log (`page 0 of relation
    /// base/16385/16400 is uninitialized`, `… does not exist`) that are not in a zero-filled
    /// library. Pure.
    public func invalidPagesElsewhere(inLog log: String) -> [String] {
        var found: [String] = []
        for line in log.split(whereSeparator: \.isNewline) where line.contains("WARNING:") && line.contains(" of relation ") {
            guard let match = line.firstMatch(of: /page \d+ of relation (\S+) (?:is uninitialized|does not exist)/) else { continue }
            let relation = String(match.1)
            if !isZeroed(relation) && !found.contains(relation) { found.append(relation) }
        }
        return found
    }

    /// The data directory's files as pg_basebackup's `backup_manifest` lists them (PostgreSQL
    /// 13+): path and size. Nil when it cannot be read. Pure.
    public static func files(fromBackupManifest data: Data) -> [(path: String, size: Int64)]? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = object["Files"] as? [[String: Any]] else { return nil }
        return files.compactMap { file in
            guard let path = file["Path"] as? String, let size = (file["Size"] as? NSNumber)?.int64Value else { return nil }
            return (path, size)
        }
    }
}
