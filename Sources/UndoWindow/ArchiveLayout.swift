import Foundation
import LaterbaseCore

/// Where the undo window lives: WAL in `BACKUP_DIR/.wal/` (pg_receivewal's directory; segments
/// set aside after a restart from scratch in `.wal/<stamp>/`), base backups in
/// `BACKUP_DIR/.base/<UTC stamp>/`, scratch clusters of `restore --at` in `BACKUP_DIR/.scratch/`.
/// Pure path arithmetic.
public struct ArchiveLayout: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var walDirectory: String { root + "/.wal" }
    public var baseDirectory: String { root + "/.base" }
    public var scratchDirectory: String { root + "/.scratch" }
    /// Held by the one receiver writing `.wal/`.
    public var receiverLock: String { walDirectory + "/.lock" }
    /// The receiver's state, read by `healthcheck` and `list`.
    public var receiverStatusFile: String { root + "/.laterbase/wal-receiver.json" }

    /// Prefix of base backups being written: never taken for a complete one, removed at the next start.
    public static let temporaryPrefix = ".tmp-"
    /// The manifest inside each complete base backup folder.
    public static let manifestName = "laterbase-base.json"

    /// `20261124T150000Z`: the folder name of a base backup started at `time`.
    public static func baseName(at time: Date) -> String { stampFormatter.string(from: time) }

    private static let stampFormatter = UTCFormat.formatter("yyyyMMdd'T'HHmmss'Z'")
}
