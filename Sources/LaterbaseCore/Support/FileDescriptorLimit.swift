import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`). `backup-agent run` raises its
/// soft limit to the hard limit at start, so the console's connections, the lock file, pg_dump's
/// pipes and the WAL receiver share a budget far above the 1024 many systems start a process with.
public enum FileDescriptorLimit {
    /// Descriptors the agent keeps for its own work (lock files, pg_dump and rclone pipes, the
    /// WAL receiver, libpq connections), whatever the console does.
    public static let reserved = 256

    /// The soft and hard limit now; nil when they cannot be read.
    public static func current() -> (soft: UInt, hard: UInt)? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        return (UInt(limit.rlim_cur), UInt(limit.rlim_max))
    }

    /// The most the soft limit is raised to: far above what the agent and its 64 console
    /// connections use, and below the 1,048,576 of Docker's default hard limit, which every child
    /// (pg_dump, psql, rclone, apprise) would inherit as its own soft limit.
    public static let raiseCeiling: rlim_t = 65_536

    /// Raises the soft limit to the hard limit (to `/proc/sys/fs/nr_open` when the hard limit is
    /// unlimited), at most to ``raiseCeiling``; a soft limit already higher stays. Returns the soft
    /// limit in force afterwards, or the error of `setrlimit` with the soft limit that stays.
    public static func raiseSoftToHard() -> Result<UInt, SystemCallError> {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return .failure(SystemCallError("getrlimit(RLIMIT_NOFILE)")) }
        let target = min(limit.rlim_max == rlim_t.max ? kernelMaximum : limit.rlim_max, raiseCeiling)
        guard limit.rlim_cur < target else { return .success(UInt(limit.rlim_cur)) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resource, &raised) == 0 else {
            return .failure(SystemCallError("setrlimit(RLIMIT_NOFILE) to \(target), keeping \(limit.rlim_cur),"))
        }
        return .success(UInt(target))
    }

    /// The most connections a server may hold with `soft` descriptors: half of what is left after
    /// ``reserved``, so the agent's own work always finds descriptors (at least 1).
    public static func connectionBudget(soft: UInt) -> Int {
        let soft = Int(min(soft, UInt(Int.max / 2)))
        return max(1, (soft - reserved) / 2)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif

    /// `fs.nr_open`, the most a process may ask for on Linux (1048576 when it cannot be read).
    private static var kernelMaximum: rlim_t {
        let text = (try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8)) ?? ""
        return rlim_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1_048_576
    }
}
