import Foundation
import LaterbaseCore

/// The standby's data directory (`PGDATA`) and its siblings: the temporary clone directory
/// (`<PGDATA>.clone-tmp`) and directories moved aside (`<PGDATA>.old-<timestamp>`).
///
/// Nothing here ever deletes a data directory; only the temporary clone directory, which no
/// start ever takes for a standby, is removed.
public struct DataDirectory: Sendable {
    /// What a start finds at `PGDATA`.
    public enum State: Sendable, Equatable {
        /// Missing or an empty directory: first boot.
        case absent
        /// A PostgreSQL data directory with `standby.signal`.
        case standby(version: String)
        /// A PostgreSQL data directory without `standby.signal` (promoted, or never a standby).
        case notStandby(version: String)
        /// Files that are not a PostgreSQL data directory (no `PG_VERSION`).
        case foreign
    }

    public let path: String

    public init(path: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    /// Where a clone is built before it is renamed into place.
    public var cloneTemporaryPath: String { path + ".clone-tmp" }
    /// When `PGDATA` is a mount point (a volume), the clone is built inside it instead …
    public var inPlaceClonePath: String { path + "/.laterbase-clone-tmp" }
    /// … and this marker exists from before the clone starts until every entry was moved up.
    /// Only ever created in an empty `PGDATA`, so everything beside it belongs to the clone.
    public var inPlaceMarkerPath: String { path + "/.laterbase-clone-in-progress" }
    /// `<PGDATA>.laterbase`: a 0700 directory beside `PGDATA`, owned by the server's account,
    /// for what must not be inside it (a pg_basebackup of the standby would copy it): the
    /// passfile and, unless `PGDATA` is a mount point, the ``StandbyLock`` file.
    public var privatePath: String { path + ".laterbase" }
    /// The passfile `primary_conninfo` names (0600, owned by the server's account).
    public var passfilePath: String { privatePath + "/" + StandbyFiles.passfileName }
    /// Where versions before the move kept the passfile: inside `PGDATA`.
    public var legacyPassfilePath: String { path + "/" + StandbyFiles.legacyPassfileName }
    public var standbySignalPath: String { path + "/standby.signal" }

    /// Creates ``privatePath`` (0700, given to `owner`) or makes an existing one 0700 again.
    /// Refuses a symbolic link or a file in its place.
    public func createPrivateDirectory(owner: SystemAccount?) throws {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if mkdir(privatePath, 0o700) != 0 && errno != EEXIST {
            throw StandbyError(.fileSystem, "cannot create \(privatePath): \(String(cString: strerror(errno))); the directory holding PGDATA must be writable")
        }
        var info = stat()
        guard lstat(privatePath, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StandbyError(.fileSystem, "\(privatePath) exists but is not a directory; move it away (standby-entrypoint keeps its passfile there)")
        }
        if let owner, lchown(privatePath, owner.uid, owner.gid) != 0 {
            throw StandbyError(.fileSystem, "cannot give \(privatePath) to \(owner.name): \(String(cString: strerror(errno)))")
        }
        guard chmod(privatePath, 0o700) == 0 else {
            throw StandbyError(.fileSystem, "cannot chmod 0700 \(privatePath): \(String(cString: strerror(errno)))")
        }
    }

    /// Looks at `path` without changing anything.
    public func inspect() -> State {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return .absent }
        guard isDirectory.boolValue else { return .foreign }
        // A directory that cannot be listed (root-squashed NFS, EIO) is not "empty": refuse it.
        guard let entries = try? manager.contentsOfDirectory(atPath: path) else { return .foreign }
        let meaningful = entries.filter { $0 != "lost+found" }
        if meaningful.isEmpty { return .absent }
        guard let version = try? String(contentsOfFile: path + "/PG_VERSION", encoding: .utf8) else { return .foreign }
        let trimmed = version.trimmingCharacters(in: .whitespacesAndNewlines)
        return manager.fileExists(atPath: standbySignalPath) ? .standby(version: trimmed) : .notStandby(version: trimmed)
    }

    /// True when `path` is an existing directory on another file system than its parent (a
    /// mounted volume), which cannot be replaced by a rename.
    public func isMountPoint() -> Bool {
        var own = stat()
        var parent = stat()
        guard stat(path, &own) == 0, stat((path as NSString).deletingLastPathComponent, &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }

    /// The name a directory moved aside gets: `<PGDATA>.old-20260524T101500Z` (UTC), with
    /// `-2`, `-3`, … appended if that exists already. Pure apart from the existence check.
    public func asidePath(at date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = "\(path).old-\(formatter.string(from: date))"
        var candidate = base
        var counter = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(base)-\(counter)"
            counter += 1
        }
        return candidate
    }

    /// Renames `PGDATA` to ``asidePath(at:)`` and returns the new path. Never copies or deletes,
    /// and refuses a directory a live server uses (``refuseIfServerRuns(before:)``).
    public func moveAside(at date: Date = Date()) throws -> String {
        try refuseIfServerRuns(before: "move it aside")
        let target = asidePath(at: date)
        guard rename(path, target) == 0 else {
            throw StandbyError(.fileSystem, "cannot move \(path) aside to \(target): \(String(cString: strerror(errno)))")
        }
        SecureFile.syncDirectory(of: path)
        return target
    }

    /// Removes what an interrupted clone left: the sibling temporary directory, or — in a
    /// mounted `PGDATA` holding the in-progress marker, unless a live server uses it — every
    /// entry but `lost+found`, the marker last. Returns whether anything was there.
    @discardableResult
    public func removeLeftoverClone() throws -> Bool {
        let manager = FileManager.default
        var found = false
        if manager.fileExists(atPath: cloneTemporaryPath) {
            try manager.removeItem(atPath: cloneTemporaryPath)
            found = true
        }
        if manager.fileExists(atPath: inPlaceMarkerPath) {
            try refuseIfServerRuns(before: "remove the unfinished clone it holds")
            let marker = (inPlaceMarkerPath as NSString).lastPathComponent
            for entry in try manager.contentsOfDirectory(atPath: path) where entry != "lost+found" && entry != marker {
                try manager.removeItem(atPath: path + "/" + entry)
            }
            try manager.removeItem(atPath: inPlaceMarkerPath)
            SecureFile.syncDirectory(of: inPlaceMarkerPath)
            found = true
        }
        return found
    }

    /// Moves the finished in-place clone's entries up into `PGDATA`, then removes the marker.
    public func installCloneInPlace() throws {
        let manager = FileManager.default
        for entry in try manager.contentsOfDirectory(atPath: inPlaceClonePath) {
            guard rename(inPlaceClonePath + "/" + entry, path + "/" + entry) == 0 else {
                throw StandbyError(.fileSystem, "cannot move \(entry) from \(inPlaceClonePath) into \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard rmdir(inPlaceClonePath) == 0 else {
            throw StandbyError(.fileSystem, "cannot remove \(inPlaceClonePath): \(String(cString: strerror(errno)))")
        }
        SecureFile.syncDirectory(of: path + "/PG_VERSION")
        guard unlink(inPlaceMarkerPath) == 0 else {
            throw StandbyError(.fileSystem, "cannot remove \(inPlaceMarkerPath): \(String(cString: strerror(errno)))")
        }
        SecureFile.syncDirectory(of: inPlaceMarkerPath)
    }

    /// Renames the finished clone over `PGDATA` (which must be absent or an empty directory).
    public func installClone() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            // An empty directory (or one holding only lost+found) is replaced.
            let lostFound = path + "/lost+found"
            if FileManager.default.fileExists(atPath: lostFound) { rmdir(lostFound) }
        }
        guard rename(cloneTemporaryPath, path) == 0 else {
            throw StandbyError(.fileSystem, "cannot rename \(cloneTemporaryPath) to \(path): \(String(cString: strerror(errno)))")
        }
        SecureFile.syncDirectory(of: path)
    }
}

/// Names of files the standby keeps in (or beside) its data directory.
public enum StandbyFiles {
    /// The passfile `primary_conninfo` points at, in ``DataDirectory/privatePath``.
    public static let passfileName = "primary.pgpass"
    /// The passfile's name inside `PGDATA` before it moved out; removed at the next start.
    public static let legacyPassfileName = "laterbase_primary.pgpass"
    /// The primary's own `pg_hba.conf`, kept for reference when the standby writes its own.
    public static let primaryHbaCopy = "pg_hba.conf.primary"
}
