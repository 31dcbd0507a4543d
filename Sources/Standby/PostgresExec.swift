#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LaterbaseCore

/// Replaces this process with postgres (`execve`), so postgres becomes PID 1 in the container
/// and receives `docker stop` itself.
///
/// As root it first drops to the server's account (supplementary groups, group, user — in
/// that order, and checks that root cannot be regained). It always resets every signal to its
/// default disposition and clears the signal mask, and removes secrets from the environment.
public enum PostgresExec {
    /// The argument vector: `postgres -D <data> <extra…>`. Pure.
    public static func argumentVector(binary: String, dataDirectory: String, extra: [String]) -> [String] {
        [binary, "-D", dataDirectory] + extra
    }

    /// The environment postgres starts with: the current one without secrets, `HOME` and
    /// `USER` of `account` when switching to it. Pure.
    public static func environment(_ current: [String: String], account: SystemAccount?) -> [String: String] {
        var result = ChildEnvironment.withoutSecrets(current)
        if let account {
            result["HOME"] = account.home
            result["USER"] = account.name
            result["LOGNAME"] = account.name
        }
        return result
    }

    /// Execs postgres, which inherits `lock` (see ``StandbyLock``). Returns only by throwing.
    public static func exec(binary: String, dataDirectory: String, extra: [String], account: SystemAccount?, lock: StandbyLock?,
                            environment current: [String: String] = ProcessInfo.processInfo.environment) throws -> Never {
        if let account { try dropPrivileges(to: account) }
        try lock?.keepAcrossExec()
        resetSignals()
        let argv = argumentVector(binary: binary, dataDirectory: dataDirectory, extra: extra)
        let envp = environment(current, account: account).map { "\($0.key)=\($0.value)" }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = envp.map { strdup($0) } + [nil]
        execve(binary, cArguments, cEnvironment)
        let reason = String(cString: strerror(errno))
        throw StandbyError(.exec, "cannot exec \(binary): \(reason)")
    }

    static func dropPrivileges(to account: SystemAccount) throws {
        guard initgroups(account.name, gid_t(account.gid)) == 0 else { throw failure("initgroups") }
        guard setgid(account.gid) == 0 else { throw failure("setgid") }
        guard setuid(account.uid) == 0 else { throw failure("setuid") }
        guard getuid() == account.uid, geteuid() == account.uid, setuid(0) != 0 else {
            throw StandbyError(.privileges, "dropping root privileges to \(account.name) did not stick; refusing to start postgres")
        }
    }

    /// Default disposition for every catchable signal, empty signal mask.
    static func resetSignals() {
        for number in 1..<Int32(65) where number != SIGKILL && number != SIGSTOP {
            signal(number, SIG_DFL)
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
    }

    private static func failure(_ call: String) -> StandbyError {
        StandbyError(.privileges, "\(call) failed while dropping root privileges: \(String(cString: strerror(errno)))")
    }
}
