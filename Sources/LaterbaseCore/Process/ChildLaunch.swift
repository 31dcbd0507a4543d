import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// How ``ChildProcess`` starts a program: through util-linux `setpriv`, which switches to
/// another account and sets the parent-death signal in the child before it execs the program.
///
/// **Every child dies with its parent.** A child gets `PR_SET_PDEATHSIG=SIGKILL` (`setpriv
/// --pdeathsig KILL`), so a SIGKILL of Laterbase (or the OOM killer) takes its pg_basebackup,
/// pg_dump, psql or rclone with it instead of leaving an orphan writing into a directory a later
/// start cleans up. The kernel clears the signal on a change of credentials; setpriv sets it after
/// switching (`--reuid`), whatever the order of its options (util-linux ≥ 2.33; tested).
///
/// The "parent" of PDEATHSIG is the *thread* that forked the child. swift-subprocess (1.0.2)
/// forks every child on one worker thread of its own that lives until the process exits, never on
/// the calling task's thread — so a child does not die when a thread of Swift's pool retires
/// after idling. `ChildProcessTests` checks both (a child outlives the thread that started it,
/// and 12 s of an idle pool).
///
/// What is not covered: a program a child forks itself (pg_basebackup's WAL streamer, the
/// postmaster `pg_ctl start` detaches, deliberately) has no parent-death signal; and without a
/// setpriv that knows `--pdeathsig` (util-linux before 2.33, or none installed) children are
/// started as before and may outlive a killed parent.
struct ChildLaunch: Sendable, Equatable {
    var program: String
    var arguments: [String]
    /// The account swift-subprocess must switch to itself (only when there is no setpriv).
    var switchAccount: SystemAccount?

    /// The launch of `executable arguments`, as `account` when given, dying with its parent
    /// when `parentDeathSignal`. Pure.
    static func plan(_ executable: String, _ arguments: [String], account: SystemAccount?,
                     setpriv: String?, parentDeathSignal: Bool) -> ChildLaunch {
        guard let setpriv else { return ChildLaunch(program: executable, arguments: arguments, switchAccount: account) }
        var options: [String] = []
        // swift-subprocess switches users in a child made by a raw clone3(), where glibc's
        // setgroups()/setuid() can deadlock on a lock another thread held at that instant
        // (seen under parallel tests). setpriv switches in a normal process.
        if let account { options += ["--reuid=\(account.uid)", "--regid=\(account.gid)", "--clear-groups"] }
        if parentDeathSignal { options += ["--pdeathsig", "KILL"] }
        guard !options.isEmpty else { return ChildLaunch(program: executable, arguments: arguments, switchAccount: nil) }
        return ChildLaunch(program: setpriv, arguments: options + ["--", executable] + arguments, switchAccount: nil)
    }

    /// The launch of `executable arguments` on this machine (``setpriv``, ``parentDeathSignalWorks()``).
    static func current(_ executable: String, _ arguments: [String], account: SystemAccount?) async -> ChildLaunch {
        plan(executable, arguments, account: account, setpriv: setpriv, parentDeathSignal: await parentDeathSignalWorks())
    }

    /// util-linux `setpriv`.
    static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    private static let probed = Mutex<Bool?>(nil)

    /// Whether `setpriv --pdeathsig KILL` works here: found out once, by running
    /// `setpriv --pdeathsig KILL -- setpriv --version` (an older setpriv refuses the option).
    static func parentDeathSignalWorks() async -> Bool {
        guard let setpriv else { return false }
        if let known = probed.withLock({ $0 }) { return known }
        let outcome = try? await Subprocess.run(
            .path(FilePath(setpriv)), arguments: ["--pdeathsig", "KILL", "--", setpriv, "--version"],
            environment: .custom([:]), output: .discarded, error: .discarded)
        let works = outcome?.terminationStatus.isSuccess ?? false
        probed.withLock { $0 = works }
        return works
    }
}
