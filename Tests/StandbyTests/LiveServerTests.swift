import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
@testable import Standby
import Testing

/// Another server's data directory is never moved from under it, and the entrypoint's children
/// die with it: real clusters, the built `standby-entrypoint`.
@Suite("standby-entrypoint: a live server in PGDATA, a killed clone", .timeLimit(.minutes(4)))
struct LiveServerTests {
    static let primaryOptions = PostgresCluster.Options(replication: true)

    /// `postmaster.pid` with its first line (the PID) replaced.
    static func pidFile(_ text: String, pid: pid_t) -> String {
        ([String(pid)] + text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map(String.init)).joined(separator: "\n")
    }

    @Test("STANDBY_RECLONE=auto refuses a PGDATA whose postmaster.pid names a live server: one line, exit 1, nothing moved, the server still answers")
    func liveServerRefused() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            // Another cluster (another system identifier), running in what the standby is told is PGDATA.
            try await PostgresCluster.withCluster { other in
                let pidPath = other.dataDirectory + "/postmaster.pid"
                let pidText = try String(contentsOfFile: pidPath, encoding: .utf8)
                let postmaster = try #require(pidText.split(separator: "\n").first.map(String.init))
                let entries = try FileManager.default.contentsOfDirectory(atPath: other.dataDirectory).sorted()
                try await StandbyProcess.withStandby(primary: primary, environment: ["PGDATA": other.dataDirectory, "STANDBY_RECLONE": "auto"]) { standby in
                    let errors = standby.root + "/stderr"
                    let entrypoint = try launchProduct("standby-entrypoint", ["run", "--"] + StandbyProcess.testServerArguments,
                                                       environment: standby.environment, output: .errors(toFile: errors))
                    let exited = await poll(timeout: .seconds(60)) { !entrypoint.isRunning }
                    if !exited {
                        kill(entrypoint.processIdentifier, SIGKILL)
                        entrypoint.waitUntilExit()
                    }
                    #expect(exited, "standby-entrypoint went on with a live server in PGDATA")
                    #expect(entrypoint.terminationStatus == 1)
                    let stderr = try String(contentsOfFile: errors, encoding: .utf8)
                    #expect(stderr == "PGDATA \(other.dataDirectory) belongs to a running PostgreSQL server (PID \(postmaster) in \(pidPath) is alive), "
                        + "so standby-entrypoint will not move it aside and clone the primary again (STANDBY_RECLONE=auto, it does not match the primary); "
                        + "nothing was changed: stop that server first, or point PGDATA at the standby's own data directory\n")
                }
                #expect(try String(contentsOfFile: pidPath, encoding: .utf8) == pidText)
                #expect(try FileManager.default.contentsOfDirectory(atPath: other.dataDirectory).sorted() == entries)
                #expect(!(try FileManager.default.contentsOfDirectory(atPath: other.root)).contains { $0.hasPrefix("data.old-") || $0.hasSuffix(".clone-tmp") })
                #expect(try await other.query("SELECT 1").scalar == "1")
            }
        }
    }

    @Test("a postmaster.pid left by a crash whose PID now belongs to the entrypoint's parent is stale: auto moves the directory aside and clones")
    func reusedPidIsStale() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await PostgresCluster.withCluster { other in
                let pidPath = other.dataDirectory + "/postmaster.pid"
                let pidText = try String(contentsOfFile: pidPath, encoding: .utf8)
                await other.stop()
                // The test process launches the entrypoint: a live PID that cannot be a postmaster of
                // this directory (as after a container restart, where the old PID is ours or our parent's).
                let stale = Self.pidFile(pidText, pid: getpid())
                try stale.write(toFile: pidPath, atomically: false, encoding: .utf8)
                try await StandbyProcess.withStandby(primary: primary, environment: ["PGDATA": other.dataDirectory, "STANDBY_RECLONE": "auto"]) { standby in
                    try standby.start()
                    try await standby.waitUntilHealthy()
                    let aside = try #require(try FileManager.default.contentsOfDirectory(atPath: other.root).first { $0.hasPrefix("data.old-") })
                    #expect(try String(contentsOfFile: other.root + "/" + aside + "/postmaster.pid", encoding: .utf8) == stale)
                    await standby.stop()
                }
            }
        }
    }

    @Test("SIGKILL of standby-entrypoint during the clone takes pg_basebackup with it; the next start ends its WAL streamer and clones")
    func sigkillMidClone() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.whileCloning(primary: primary) { standby in
                let entrypoint = try #require(standby.pid)
                let clone = ProcessTable.running(containing: ["pg_basebackup", standby.cloneTemporaryPath])
                let started = clone.filter { $0.parent == entrypoint }
                #expect(started.count == 1, "\(clone.map(\.commandLine))")
                standby.send(SIGKILL)
                let gone = await poll(timeout: .seconds(5)) { started.allSatisfy { !ProcessTable.isRunning($0.pid) } }
                #expect(gone, "pg_basebackup outlived the killed entrypoint")
                // pg_basebackup's WAL streamer (its own fork, so without the signal) still holds the
                // slot: the next start ends it, removes the unfinished clone and clones again.
                let lingering = !ProcessTable.running(containing: ["pg_basebackup", standby.cloneTemporaryPath]).isEmpty
                standby.environment["STANDBY_CLONE_MAX_RATE"] = nil
                try standby.start()
                try await standby.waitUntilHealthy()
                #expect(!lingering || standby.log.contains("ended pg_basebackup left running by a start that was killed outright"))
                #expect(ProcessTable.running(containing: ["pg_basebackup", standby.cloneTemporaryPath]).isEmpty)
                for entry in ProcessTable.running(containing: ["pg_basebackup", standby.cloneTemporaryPath]) { kill(entry.pid, SIGKILL) }
            }
        }
    }
}

/// ``PostmasterPidFile`` on its own: what counts as a live server.
@Suite("postmaster.pid: live or stale")
struct PostmasterPidFileTests {
    func withPidFile(_ text: String?, _ body: (PostmasterPidFile) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "laterbase-pidfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let text { try text.write(toFile: directory + "/postmaster.pid", atomically: true, encoding: .utf8) }
        try body(PostmasterPidFile(dataDirectory: directory))
    }

    @Test("no file, no PID, a dead PID, this process, its parent: no live server")
    func stale() throws {
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        for text in [nil, "", "garbage\n/data\n", "\(ended.processIdentifier)\n/data\n", "\(getpid())\n/data\n", "\(getppid())\n/data\n"] {
            try withPidFile(text) { #expect($0.livePID() == nil, "\(String(describing: text))") }
        }
        try withPidFile("  \(getpid())  \n") { #expect($0.recordedPID() == getpid()) }
    }

    @Test("a live process that is neither this one nor its (grand)parent is a live server")
    func live() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() }
        try withPidFile("\(sleeper.processIdentifier)\n/var/lib/postgresql/data\n1700000000\n5432\n") {
            #expect($0.livePID() == sleeper.processIdentifier)
        }
        #expect(!PostmasterPidFile.ownLineage().contains(sleeper.processIdentifier))
    }
}
