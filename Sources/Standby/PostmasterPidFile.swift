#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LaterbaseCore

/// `PGDATA/postmaster.pid`, the lock file a running PostgreSQL server keeps in its data
/// directory: its first line is the postmaster's PID.
///
/// ``StandbyLock`` keeps a second standby-entrypoint off `PGDATA`; this keeps the entrypoint off
/// the directory of a server it did not start (a `pg_ctl start` by hand, another container's
/// server on a shared path): nothing is moved aside or removed while ``livePID()`` names one.
///
/// The rule follows PostgreSQL's own (`CreateLockFile`): a PID equal to this process's, its
/// parent's or its grandparent's cannot be a postmaster using the directory — after a container
/// restart the old postmaster's PID (often 1) is typically ours or our parent's again, and is
/// taken as stale. Unlike PostgreSQL, `EPERM` from `kill(pid, 0)` counts as alive: the entrypoint
/// may be able to rename a directory whose server runs as another user, so it must not guess.
/// A zombie is dead: it merely waits for its parent (or an init that reaps late) to collect it.
public struct PostmasterPidFile: Sendable {
    public let path: String

    public init(dataDirectory: String) {
        path = dataDirectory + "/postmaster.pid"
    }

    /// The PID on the first line; nil when the file is missing, unreadable or holds no PID there.
    public func recordedPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first,
              let pid = pid_t(first.trimmingCharacters(in: .whitespaces)), pid > 0 else { return nil }
        return pid
    }

    /// The recorded PID when a live process other than this one and its (grand)parent has it;
    /// nil for no file or a stale one.
    public func livePID() -> pid_t? {
        guard let pid = recordedPID(), !Self.ownLineage().contains(pid), Self.isAlive(pid) else { return nil }
        return pid
    }

    /// `kill(pid, 0)` succeeds, or fails only for lack of permission — and the process is not a
    /// zombie (dead, waiting for an init that reaps late: it holds no directory).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        return !isZombie(pid)
    }

    /// `/proc/<pid>/stat` shows state `Z` (or `X`).
    static func isZombie(_ pid: pid_t) -> Bool {
        guard let state = statFields(of: pid)?.first else { return false }
        return state == "Z" || state == "X"
    }

    /// This process, its parent and its grandparent (when `/proc` tells).
    static func ownLineage() -> Set<pid_t> {
        var lineage: Set<pid_t> = [getpid(), getppid()]
        if let grandparent = parentPID(of: getppid()) { lineage.insert(grandparent) }
        return lineage
    }

    /// The parent of `pid` from `/proc/<pid>/stat`.
    static func parentPID(of pid: pid_t) -> pid_t? {
        guard let fields = statFields(of: pid), fields.count > 1 else { return nil }
        return pid_t(fields[1])
    }

    /// The fields of `/proc/<pid>/stat` after the command name (which is in parentheses and may
    /// itself hold spaces and parentheses): state, parent, …
    private static func statFields(of pid: pid_t) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}

extension DataDirectory {
    /// Throws ``StandbyErrorCode/serverRunning`` when `postmaster.pid` names a live server;
    /// `action` says what was about to happen ("move it aside and clone the primary again").
    public func refuseIfServerRuns(before action: String) throws {
        let file = PostmasterPidFile(dataDirectory: path)
        guard let pid = file.livePID() else { return }
        throw StandbyError(.serverRunning, "PGDATA \(path) belongs to a running PostgreSQL server (PID \(pid) in \(file.path) is alive), "
            + "so standby-entrypoint will not \(action); nothing was changed: stop that server first, "
            + "or point PGDATA at the standby's own data directory")
    }
}
