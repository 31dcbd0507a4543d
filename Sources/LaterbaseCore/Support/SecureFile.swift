import Crypto
import Foundation
import SystemPackage

/// Writes files so that readers only ever see a complete file with the final permissions.
public enum SecureFile {
    /// Creates `path.tmp-<pid>` afresh (`O_EXCL|O_NOFOLLOW`) with `mode` before any byte is
    /// written, writes, fsyncs, renames over `path` and fsyncs the directory. On any error the
    /// temporary file is removed.
    public static func writeAtomically(_ data: Data, to path: String, mode: mode_t, owner: SystemAccount? = nil) throws {
        let temporary = "\(path).tmp-\(getpid())"
        // The folder may belong to another account (PGDATA is postgres's while we are root):
        // never follow or reuse whatever sits at the temporary name — a planted symlink would
        // otherwise make root write through it.
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw posixError("create", temporary) }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw posixError("chmod", temporary) }
            if let owner, fchown(fd, owner.uid, owner.gid) != 0 { throw posixError("chown", temporary) }
            do {
                _ = try data.withUnsafeBytes { try FileDescriptor(rawValue: fd).writeAll($0) }
            } catch let error as Errno {
                throw posixError("write", temporary, code: error.rawValue)
            }
            guard fsync(fd) == 0 else { throw posixError("fsync", temporary) }
        }
        guard rename(temporary, path) == 0 else { throw posixError("rename", path) }
        ok = true
        syncDirectory(of: path)
    }

    /// The digest of a file's contents (`SHA256.self`, `Insecure.MD5.self`), hex, read in 1 MiB pieces.
    public static func digest<H: HashFunction>(of path: String, using _: H.Type) async throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw posixError("open", path) }
        defer { try? handle.close() }
        var hasher = H()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            await Task.yield()
        }
        return Digests.hex(hasher.finalize())
    }

    /// fsyncs the directory holding `path` so a rename in it survives a crash. Best effort.
    public static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func posixError(_ operation: String, _ path: String, code: Int32 = errno) -> any Error {
        NSError(domain: NSPOSIXErrorDomain, code: Int(code),
                       userInfo: [NSLocalizedDescriptionKey: "cannot \(operation) \(path): \(String(cString: strerror(code)))"])
    }
}
