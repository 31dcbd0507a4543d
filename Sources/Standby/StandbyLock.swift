import Foundation
import LaterbaseCore

/// Keeps two `standby-entrypoint run` off one `PGDATA`: an exclusive `flock`, taken before
/// anything is touched and held until postgres exits — ``PostgresExec`` lets the descriptor
/// through `exec`, so the postmaster (and every backend it forks) keeps holding it.
///
/// What is locked: the `PGDATA` directory itself when it is a mounted volume (the volume is what
/// two containers share, and the mount point always exists); otherwise the file `lock` in
/// ``DataDirectory/privatePath`` beside `PGDATA`, which stays put while a clone is renamed into
/// place or a directory moved aside.
public final class StandbyLock: Sendable {
    /// A second run found the lock held.
    public struct Busy: Error, CustomStringConvertible, Sendable {
        public let dataDirectory: String
        public let lockPath: String
        public var description: String {
            "PGDATA \(dataDirectory) is in use by another standby-entrypoint or the postgres it started (\(lockPath) is locked); "
                + "nothing was touched: stop the other one first, two servers on one data directory would corrupt it"
        }
    }

    /// The lock could not be taken for another reason (a file system without locks).
    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public let lockPath: String
        public let reason: String
        public var description: String {
            "cannot lock \(lockPath) against a second standby-entrypoint: \(reason); PGDATA must be on a local file system or a volume that supports flock"
        }
    }

    /// The file or directory that is locked.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock without waiting. The descriptor is close-on-exec until ``keepAcrossExec()``,
    /// so pg_basebackup and the other tools run while preparing do not hold it.
    /// - Throws: ``Busy`` when another run holds it, ``Unavailable`` on any other failure.
    public static func acquire(_ data: DataDirectory, owner: SystemAccount?) throws -> StandbyLock {
        let path: String
        let descriptor: Int32
        if data.isMountPoint() {
            path = data.path
            descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        } else {
            try data.createPrivateDirectory(owner: owner)
            path = data.privatePath + "/lock"
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            // A later run as the server's account (natively) must be able to open it too.
            if descriptor >= 0, let owner { _ = fchown(descriptor, owner.uid, owner.gid) }
        }
        guard descriptor >= 0 else { throw Unavailable(lockPath: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw Busy(dataDirectory: data.path, lockPath: path) }
            throw Unavailable(lockPath: path, reason: String(cString: strerror(code)))
        }
        return StandbyLock(path: path, descriptor: descriptor)
    }

    /// Lets the descriptor survive `exec`, so postgres holds the lock from then on. Call right
    /// before exec.
    public func keepAcrossExec() throws {
        let flags = fcntl(descriptor, F_GETFD)
        guard flags >= 0, fcntl(descriptor, F_SETFD, flags & ~FD_CLOEXEC) == 0 else {
            throw Unavailable(lockPath: path, reason: "fcntl: \(String(cString: strerror(errno)))")
        }
    }
}
