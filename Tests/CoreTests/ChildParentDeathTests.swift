import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Every child of ``ChildProcess`` dies with its parent (`setpriv --pdeathsig KILL`), and only
/// then: not when a thread of Swift's pool retires.
@Suite("Child processes die with their parent", .timeLimit(.minutes(3)))
struct ChildParentDeathTests {
    static let python = "/usr/bin/python3"

    @Test("the launch: setpriv switches the account and sets the parent-death signal; without setpriv swift-subprocess switches")
    func plan() throws {
        let root = try #require(SystemAccount(named: "root"))
        let both = ChildLaunch.plan("/bin/pg_dump", ["-v"], account: root, setpriv: "/usr/bin/setpriv", parentDeathSignal: true)
        #expect(both == ChildLaunch(program: "/usr/bin/setpriv", arguments: [
            "--reuid=0", "--regid=0", "--clear-groups", "--pdeathsig", "KILL", "--", "/bin/pg_dump", "-v"], switchAccount: nil))
        let signalOnly = ChildLaunch.plan("/bin/pg_dump", [], account: nil, setpriv: "/usr/bin/setpriv", parentDeathSignal: true)
        #expect(signalOnly.arguments == ["--pdeathsig", "KILL", "--", "/bin/pg_dump"])
        let oldSetpriv = ChildLaunch.plan("/bin/pg_dump", [], account: nil, setpriv: "/usr/bin/setpriv", parentDeathSignal: false)
        #expect(oldSetpriv == ChildLaunch(program: "/bin/pg_dump", arguments: [], switchAccount: nil))
        let none = ChildLaunch.plan("/bin/pg_dump", [], account: root, setpriv: nil, parentDeathSignal: false)
        #expect(none == ChildLaunch(program: "/bin/pg_dump", arguments: [], switchAccount: root))
    }

    @Test("a child runs with PR_SET_PDEATHSIG=SIGKILL, also after switching to the postgres account",
          .enabled(if: FileManager.default.isExecutableFile(atPath: python)))
    func childHasParentDeathSignal() async throws {
        #expect(await ChildLaunch.parentDeathSignalWorks())
        // The child reads its own parent-death signal (PR_GET_PDEATHSIG = 2) and user id.
        let script = "import ctypes, os; s = ctypes.c_int(-1); ctypes.CDLL(None).prctl(2, ctypes.byref(s)); print(s.value, os.getuid())"
        let own = try await ChildProcess(Self.python, ["-c", script]).output()
        #expect(own == "\(SIGKILL) \(getuid())\n")
        // The kernel clears the signal when credentials change: it must be set after the switch.
        if SystemAccount.isRoot, let postgres = SystemAccount(named: "postgres") {
            var child = ChildProcess(Self.python, ["-c", script])
            child.account = postgres
            child.workingDirectory = "/"
            #expect(try await child.output() == "\(SIGKILL) \(postgres.uid)\n")
        }
    }

    @Test("SIGKILL of a program takes its child with it (standby-entrypoint killed while `postgres --version` runs)")
    func childDiesWithParent() async throws {
        var template = Array("/tmp/laterbase-pdeath-XXXXXX".utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A stand-in `postgres` whose `--version` never ends: the entrypoint's first child.
        let bin = root + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: false)
        try "#!/bin/sh\necho $$ > \(root)/child.pid\nexec sleep 60\n".write(toFile: bin + "/postgres", atomically: true, encoding: .utf8)
        chmod(bin + "/postgres", 0o755)
        let entrypoint = try launchProduct("standby-entrypoint", ["run"], environment: [
            "PRIMARY_HOST": "127.0.0.1", "PGDATA": root + "/data", "PG_BINDIR": bin,
        ], output: .errors(toFile: root + "/stderr"))
        defer { kill(entrypoint.processIdentifier, SIGKILL) }
        var child: pid_t?
        let started = await poll(timeout: .seconds(60)) {
            guard let text = try? String(contentsOfFile: root + "/child.pid", encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let entry = ProcessTable.entry(pid), entry.commandLine.hasPrefix("sleep") else { return false }
            child = pid
            return entry.parent == entrypoint.processIdentifier
        }
        let sleeper = try #require(child, "the stand-in postgres did not start: \((try? String(contentsOfFile: root + "/stderr", encoding: .utf8)) ?? "")")
        #expect(started)
        kill(entrypoint.processIdentifier, SIGKILL)
        let gone = await poll(timeout: .seconds(5)) { !ProcessTable.isRunning(sleeper) }
        if !gone { kill(sleeper, SIGKILL) }
        #expect(gone, "the child outlived its killed parent")
    }

    @Test("a child outlives the thread its task ran on: swift-subprocess forks on a thread that never ends")
    func outlivesItsTasksThread() async throws {
        let marker = NSTemporaryDirectory() + "laterbase-thread-\(UUID().uuidString)"
        defer { unlink(marker) }
        let executor = RetiringThreadExecutor()
        let task = Task(executorPreference: executor) {
            try await ChildProcess("/bin/sh", ["-c", "echo started > \(marker); sleep 4"]).output()
        }
        #expect(await poll(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: marker) })
        let thread = try #require(executor.retire())
        #expect(await poll(timeout: .seconds(5)) { !FileManager.default.fileExists(atPath: "/proc/self/task/\(thread)") })
        // A child killed with that thread would fail with unhandledException(9).
        _ = try await task.value
    }

    @Test("a child started from a detached task outlives 12 s in which the pool idles (its threads retire after ~5 s)")
    func outlivesIdlePool() async throws {
        let started = ContinuousClock.now
        let task = Task.detached { try await ChildProcess("/bin/sleep", ["12"]).output() }
        _ = try await task.value
        #expect(ContinuousClock.now - started >= .seconds(12))
    }
}
