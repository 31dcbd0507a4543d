import Foundation

/// Folders created with the mode asked for, whatever the process's umask: `mkdir` applies the
/// umask (under `umask 000` a plain `createDirectory` makes a world-writable folder), so every
/// folder this creates is `chmod`ed to `mode` right after it is made.
public enum SecureDirectory {
    /// Creates `path` and any missing parent, each with `mode`. A folder that exists already is
    /// left as it is, unless `enforce` is set: then `path` itself gets `mode` (the agent's own
    /// state folder, which an earlier version may have created too open).
    public static func create(_ path: String, mode: mode_t, enforce: Bool = false) throws {
        var missing: [String] = []
        var current = (path as NSString).standardizingPath
        while !current.isEmpty, current != "/", !isDirectory(current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() {
            if mkdir(folder, mode) != 0 && errno != EEXIST { throw SystemCallError("mkdir() of \(folder)") }
            guard chmod(folder, mode) == 0 else { throw SystemCallError("chmod() of \(folder)") }
        }
        if enforce && missing.isEmpty {
            var info = stat()
            if lstat(path, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o7777 != mode {
                guard chmod(path, mode) == 0 else { throw SystemCallError("chmod() of \(path)") }
            }
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
