import Foundation
import LaterbaseCore

/// The disk the scratch server of `restore --at` needs in BACKUP_DIR, checked before anything is
/// unpacked: a scratch server that fills the disk would also stop the hourly dumps and the WAL
/// archive (and so make the Resolve server keep WAL for the archive's slot).
package struct ScratchSpace: Sendable, Equatable {
    /// What the unpacked base backup holds. Zero-filled libraries count the WAL once more: their
    /// files are sparse, but replay writes the full-page images of the pages it changes there.
    var unpacked: Int64
    /// The WAL in the base backup's `pg_wal.tar` and the archive segments staged beside it.
    var wal: Int64

    var required: Int64 { unpacked + wal }

    /// From the base backup's `backup_manifest` (`files`: the data files), its WAL range and the
    /// segments to stage. Pure.
    package static func estimate(files: [(path: String, size: Int64)], base: BaseBackupManifest, selective: SelectiveUnpack?, staged: [WalFile]) -> ScratchSpace {
        var baseWal = Int64(0)
        if let start = LSN.parse(base.startLSN), let end = LSN.parse(base.endLSN), base.walSegmentSize > 0, end >= start {
            baseWal = Int64((end / base.walSegmentSize - start / base.walSegmentSize + 1) * base.walSegmentSize)
        }
        let wal = baseWal + staged.reduce(0) { $0 + $1.bytes }
        var (unpacked, zeroFilled) = (Int64(0), Int64(0))
        for file in files {
            if selective?.isZeroed(file.path) == true { zeroFilled += file.size } else { unpacked += file.size }
        }
        // What replay may write into the zero-filled files: at most what they hold, at most the WAL.
        return ScratchSpace(unpacked: unpacked + min(zeroFilled, wal), wal: wal)
    }

    /// What stays free beside the scratch server, for the dumps and the WAL archive meanwhile:
    /// a tenth of the file system, at most 1 GiB. Pure.
    static func reserve(capacity: Int64) -> Int64 { min(capacity / 10, 1 << 30) }

    /// The refusal when `available` (free to this process) minus ``required`` leaves less than
    /// the reserve; nil when it fits. Pure.
    package func refusal(available: Int64, capacity: Int64, directory: String, library: String?) -> String? {
        let reserve = Self.reserve(capacity: capacity)
        guard available - required < reserve else { return nil }
        let what = library.map { "the library \($0) unpacked with the system databases" } ?? "the whole base backup unpacked"
        return "restore --at needs \(Self.text(required)) free in \(directory) for its scratch server (\(what): \(Self.text(unpacked)); WAL: \(Self.text(wal))) and keeps \(Self.text(reserve)) free for the backups meanwhile, but only \(Self.text(available)) is free; free space in BACKUP_DIR (prune old backups) and run it again"
    }

    /// Free and total bytes of the file system holding `path` (statvfs), nil when unknown.
    package static func free(at path: String) -> (available: Int64, capacity: Int64)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let block = Int64(info.f_frsize)
        return (Int64(info.f_bavail) * block, Int64(info.f_blocks) * block)
    }

    static func text(_ bytes: Int64) -> String { ByteText.text(bytes) }
}
