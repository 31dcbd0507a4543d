import Foundation

/// One file on disk as `lstat` sees it: which file (device and inode: hard-linked names share
/// them) and its size and modification time, the key of every cached verification.
public struct FileIdentity: Sendable, Hashable, Codable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    /// Modification time in nanoseconds since 1970.
    public let modified: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modified: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
    }

    /// `device:inode`: equal for every name of one file.
    public var file: String { "\(device):\(inode)" }

    /// The identity of the regular file at `path`; nil for anything else (a directory, a
    /// symbolic link, a socket) or when nothing is there.
    public static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}
