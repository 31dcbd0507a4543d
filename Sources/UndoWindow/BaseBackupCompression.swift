import Foundation
import LaterbaseCore

/// How a base backup's tar files are compressed, told by their names: `base.tar.zst`,
/// `base.tar.gz` (base backups made before zstd) or `base.tar`.
///
/// zstd because `restore --at` unpacks the base backup every time: at level 1 it writes files of
/// about gzip's size, 4× faster, and unpacks 2× faster (measured on a 400 MB library,
/// bench/undo_window.sh). The official PostgreSQL images hold the `zstd` program; without it,
/// gzip as before.
public enum BaseBackupCompression: String, CaseIterable, Sendable {
    case zstd
    case gzip
    case none

    /// The file name's ending after `base` or `pg_wal`.
    public var suffix: String {
        switch self {
        case .zstd: ".tar.zst"
        case .gzip: ".tar.gz"
        case .none: ".tar"
        }
    }

    /// How to make a base backup with pg_basebackup of `major`, `zstd` the zstd program if any.
    public struct Plan: Equatable, Sendable {
        /// pg_basebackup's compression arguments.
        public let arguments: [String]
        /// Compress the tar files with the zstd program after pg_basebackup (13 and 14 cannot).
        public let zstdAfterwards: Bool
        public let compression: BaseBackupCompression
    }

    /// pg_basebackup 15 and newer compresses with zstd itself (`pg_wal.tar` stays plain: it
    /// holds only the few segments the backup needs); 13 and 14 write plain tar files that
    /// the zstd program compresses after; without zstd, gzip. Pure.
    public static func plan(pgBasebackupMajor major: PostgresMajorVersion?, zstd: String?) -> Plan {
        guard zstd != nil else { return Plan(arguments: ["-z"], zstdAfterwards: false, compression: .gzip) }
        if let major, major.code >= 15 {
            return Plan(arguments: ["--compress=client-zstd:1"], zstdAfterwards: false, compression: .zstd)
        }
        return Plan(arguments: [], zstdAfterwards: true, compression: .zstd)
    }

    /// Compresses `folder/*.tar` with the zstd program (level 1, every core), each into
    /// `*.tar.zst` flushed to disk, and removes the plain file.
    static func compressTarFiles(in folder: String, zstd: String) async throws {
        let tars = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".tar") }
        for tar in tars {
            let path = folder + "/" + tar
            _ = try await ChildProcess(zstd, ["-q", "-1", "-T0", "--rm", path, "-o", path + ".zst"]).output()
            let fd = open(path + ".zst", O_RDONLY)
            if fd >= 0 {
                fsync(fd)
                close(fd)
            }
        }
    }
}
