import Foundation
import LaterbaseCore

/// An exclusive `flock` on `BACKUP_DIR/.laterbase/lock`, so two agents (or `run` and `backup`)
/// never write one backup folder at once. The kernel releases it when the process dies, so a
/// `kill -9` never leaves a stale lock. The holder's PID is written into the file for messages.
public final class DirectoryLock {
    private var descriptor: Int32 = -1
    public let path: String

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Takes the lock without waiting; nil when another process holds it.
    public static func tryAcquire(_ path: String) throws -> DirectoryLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BackupError(.backupDirectoryUnusable, "cannot open the lock file \(path): \(String(cString: strerror(errno))); check that BACKUP_DIR is writable")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return DirectoryLock(path: path, descriptor: fd)
    }

    /// Takes the lock, polling until `timeout`; throws a message naming the holder and `folder`
    /// (the backup folder, for the message) when it cannot.
    public static func acquire(_ path: String, folder: String, timeout: Duration) async throws -> DirectoryLock {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let lock = try tryAcquire(path) { return lock }
            if ContinuousClock.now >= deadline {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                throw BackupError(.lockHeld, "another backup-agent (pid \(holder)) is writing \(folder); wait for it to finish or stop it")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    public func release() {
        if descriptor >= 0 {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
        descriptor = -1
    }
}
