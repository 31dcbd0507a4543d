import Foundation
import LaterbaseCore

/// pg_basebackup processes left writing into this `PGDATA`'s clone directory by a start that was
/// killed outright.
///
/// pg_basebackup itself dies with the entrypoint (every child gets the parent-death signal), but
/// the WAL streamer it forks for `-X stream` does not: it keeps the replication slot busy and
/// writes into the clone directory until the primary ends its connection, so the next start's
/// preflight would fail with "slot … is in use". The ``StandbyLock`` guarantees that no live
/// entrypoint clones into this `PGDATA`, so any pg_basebackup whose `-D` is its clone directory is
/// such an orphan. Processes of another PID namespace (another container) are not visible here.
enum OrphanedClone {
    /// Running pg_basebackup processes whose `-D` argument is one of `targets`.
    static func processes(writingInto targets: [String]) -> [pid_t] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let program = arguments.first, (program as NSString).lastPathComponent == "pg_basebackup",
                  let flag = arguments.firstIndex(of: "-D"), flag + 1 < arguments.count else { return false }
            return targets.contains(arguments[flag + 1]) && !PostmasterPidFile.isZombie(pid)
        }
    }

    /// SIGKILLs them and waits up to 5 s until they are gone; returns their PIDs.
    static func end(writingInto targets: [String]) async -> [pid_t] {
        let orphans = processes(writingInto: targets)
        guard !orphans.isEmpty else { return [] }
        for pid in orphans { kill(pid, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !processes(writingInto: targets).isEmpty {
            try? await Task.sleep(for: .milliseconds(100))
        }
        return orphans
    }
}
