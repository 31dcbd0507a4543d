import Foundation

/// A user account of the operating system, looked up by name (`getpwnam`).
public struct SystemAccount: Sendable, Equatable {
    public let name: String
    public let uid: UInt32
    public let gid: UInt32
    public let home: String

    /// Nil when no such account exists.
    public init?(named name: String) {
        guard let entry = getpwnam(name) else { return nil }
        self.name = name
        uid = entry.pointee.pw_uid
        gid = entry.pointee.pw_gid
        home = String(cString: entry.pointee.pw_dir)
    }

    /// Whether this process runs as root (and so must not run PostgreSQL itself).
    public static var isRoot: Bool { geteuid() == 0 }

    /// `chown -R` to this account (without following symbolic links).
    public func own(recursively path: String) throws {
        let manager = FileManager.default
        try manager.setAttributes([.ownerAccountID: uid, .groupOwnerAccountID: gid], ofItemAtPath: path)
        guard let walker = manager.enumerator(atPath: path) else { return }
        for case let relative as String in walker {
            let full = path + "/" + relative
            if lchown(full, uid, gid) != 0 {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: full])
            }
        }
    }
}
