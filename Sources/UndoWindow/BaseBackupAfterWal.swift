import Foundation
import LaterbaseCore

/// `BASE_BACKUP_AFTER_WAL`: a base backup once this much WAL was archived since the newest one
/// started, whatever `BASE_BACKUP_SCHEDULE` says, so that `restore --at` never replays much more
/// WAL than the plain restore of the library would load data.
///
/// Replay costs about what loading the same amount of data costs (bench/undo_window.sh: 470 MB of
/// WAL replayed in 2.5–3.6 s, a 382 MB dump restored in 4.2–5.2 s), so with at most as much WAL
/// as the base backup holds data, `restore --at` stays near twice a plain restore; a busy week
/// behind a weekly base backup would be many times that. Each such base backup follows at least
/// its own size of WAL, so the base backups it adds take less room than the WAL the archive holds
/// anyway (compressed, they are smaller than the data).
public enum BaseBackupAfterWal: Equatable, Sendable {
    /// Only the schedule (and a gap) take base backups.
    case off
    /// As much WAL as the newest base backup holds data (uncompressed), at least ``autoFloor``.
    case auto
    /// A fixed amount, in bytes.
    case bytes(Int64)

    /// The least `auto` waits for: 256 MB. A base backup writes a segment or two of WAL itself,
    /// and a server with a `archive_timeout` switches to a new 16 MB file every so often however
    /// idle it is; below this, small servers would take base backups back to back.
    public static let autoFloor: Int64 = 256 * 1024 * 1024

    /// The WAL that makes a base backup due after one holding `dataBytes`; nil when off.
    public func limit(dataBytes: Int64?) -> Int64? {
        switch self {
        case .off: nil
        case .auto: max(Self.autoFloor, dataBytes ?? 0)
        case .bytes(let bytes): bytes
        }
    }

    /// `auto`, `off`, or a size (``ConfigByteSize``: `2GB`, `512MB`, powers of 1024 as in
    /// PostgreSQL's own settings), at least 16MB (one WAL segment). Pure.
    public init(parsing text: String) throws(ConfigurationError) {
        let value = text.trimmingCharacters(in: .whitespaces)
        switch value.lowercased() {
        case "auto": self = .auto; return
        case "off": self = .off; return
        default: break
        }
        guard let bytes = ConfigByteSize.parseBytes(value), bytes > 0 else {
            throw ConfigurationError(variable: "BASE_BACKUP_AFTER_WAL", problem: "must be auto, off or a size such as 2GB or 512MB, got \"\(text)\"")
        }
        guard bytes >= 16 << 20 else {
            throw ConfigurationError(variable: "BASE_BACKUP_AFTER_WAL", problem: "must be at least 16MB (one WAL segment), got \"\(text)\"")
        }
        self = .bytes(bytes)
    }

    /// The data a base backup holds, uncompressed: the sum of the file sizes in its
    /// `backup_manifest`; nil when that cannot be read.
    public static func dataBytes(of base: StoredBaseBackup) -> Int64? {
        FileManager.default.contents(atPath: base.path + "/backup_manifest")
            .flatMap(SelectiveUnpack.files(fromBackupManifest:))
            .map { $0.reduce(Int64(0)) { $0 + $1.size } }
    }

    /// The WAL archived since `base`: the segments after the one it ended in, except the newest
    /// (still being written), whole files as they lie in the archive. The base backup's own WAL
    /// (its checkpoint, its end, the switch to a new segment after it) never counts, whatever the
    /// server's `wal_segment_size`, so one base backup cannot make the next one due. Pure.
    public static func walSince(_ base: StoredBaseBackup, wal: [WalFile]) -> Int64 {
        let size = base.manifest.walSegmentSize
        guard size > 0, let end = LSN.parse(base.manifest.endLSN), let newest = wal.map(\.segment.number).max() else { return 0 }
        let complete = Int64(newest) - Int64(end / size) - 1
        return max(0, complete) * Int64(size)
    }
}
