import Foundation
import LaterbaseTestSupport
import Shared
import Testing

/// `restore --at` when its scratch server dies (SIGKILL of the postmaster, as the kernel's OOM
/// killer does) while it replays: with one library unpacked, once is survived by unpacking
/// everything and replaying again; a server that dies every time fails the restore in one line,
/// and nothing is left behind: no new database, no scratch folder, no process of a scratch server.
///
/// The kill comes at one point, whatever the machine's load: `PG_BINDIR` of the restore names a
/// folder of links to the run's real PostgreSQL programs, where `pg_ctl` is a script that runs
/// the real `pg_ctl` and, once `pg_ctl start` has seen the server ready, kills it before the
/// restore goes on (the restore waits for `pg_ctl` to exit).
@Suite("undo window: the scratch server killed", .serialized, .timeLimit(.minutes(5)))
struct ScratchCrashTests {
    @Test("killed once during replay (one library unpacked): everything unpacked and replayed again; the library comes back as it was")
    func killedOnce() async throws {
        try await RestoreAtSelectiveTests.archivingThreeLibraries { cluster, archive in
            let (timeline, noted) = try await Self.deletedTimeline(archive)
            let programs = try KillingServerPrograms(cluster: cluster, folder: archive.backupDirectory + ".bin", everyStart: false)
            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve survived"], ["PG_BINDIR": programs.folder])
            #expect(programs.killed.count == 1, "the first scratch server should have been killed (\(programs.killed))")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("unpacking the whole base backup and replaying again"), "\(result.stdout.suffix(3000))")
            #expect(result.stdout.contains("the scratch server stopped during replay"), "\(result.stdout.suffix(3000))")
            #expect(try await archive.clips(timeline, in: "Resolve survived") == 5)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(await Self.noScratchProcesses(archive), "a process of the killed scratch server is still running")
        }
    }

    @Test("killed during every replay: exit 1 with one line, no new database, no scratch folder and no scratch process left")
    func killedAlways() async throws {
        try await RestoreAtSelectiveTests.archivingThreeLibraries { cluster, archive in
            let (_, noted) = try await Self.deletedTimeline(archive)
            let before = try FileManager.default.contentsOfDirectory(atPath: archive.layout.walDirectory)
            let programs = try KillingServerPrograms(cluster: cluster, folder: archive.backupDirectory + ".bin", everyStart: true)
            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve never"], ["PG_BINDIR": programs.folder])
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            print("measured: restore --at with the scratch server killed during every replay: \(message)")
            #expect(result.status == 1, "\(result.stderr)")
            #expect(!message.isEmpty && !message.contains("\n"), "one line expected: \(message)")
            #expect(message.contains("the scratch server stopped during replay") && message.contains("something outside it ended it (the kernel's out-of-memory killer"),
                    "\(message)")
            #expect(programs.killed.count == 2, "one kill per pass: with one library unpacked, then with everything (\(programs.killed))")
            #expect(try await archive.databaseExists("Resolve never") == false)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(await Self.noScratchProcesses(archive), "a process of a killed scratch server is still running")
            // The archive itself is untouched (the receiver may have finished a .partial since).
            let after = try FileManager.default.contentsOfDirectory(atPath: archive.layout.walDirectory)
            #expect(before.filter { !$0.hasSuffix(".partial") }.allSatisfy(after.contains), "archive files went missing")
        }
    }

    /// A timeline of five clips, the second noted while it exists, then deleted.
    static func deletedTimeline(_ archive: ArchiveHarness) async throws -> (timeline: String, noted: String) {
        let timeline = try await archive.addTimeline("Killed scratch", items: 5)
        try await Task.sleep(for: .milliseconds(1200))
        let noted = ArchiveHarness.text(Date())
        try await Task.sleep(for: .milliseconds(1200))
        try await archive.deleteTimeline(timeline)
        try await Task.sleep(for: .milliseconds(500))
        return (timeline, noted)
    }

    /// Whether, within 15 s, no process runs with a command line naming the scratch folder
    /// (a postmaster's children notice its death and exit on their own).
    static func noScratchProcesses(_ archive: ArchiveHarness) async -> Bool {
        let folder = archive.layout.scratchDirectory
        return await poll(timeout: .seconds(15), every: .milliseconds(200)) {
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
            return !pids.contains { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                return String(decoding: data, as: UTF8.self).contains(folder)
            }
        }
    }
}

/// A folder for `PG_BINDIR`: links to the test run's PostgreSQL programs, but `pg_ctl` a script
/// that runs the real one and, after a `start`, SIGKILLs the postmaster it started (the first
/// one only, or each), writing its PID to `kills`. ``ArchiveHarness/remove()`` removes it.
struct KillingServerPrograms {
    let folder: String

    init(cluster: PostgresCluster, folder: String, everyStart: Bool) throws {
        self.folder = folder
        let real = URL(fileURLWithPath: try cluster.tools.require("pg_ctl")).deletingLastPathComponent().path
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        for program in try manager.contentsOfDirectory(atPath: real) where program != "pg_ctl" {
            try manager.createSymbolicLink(atPath: folder + "/" + program, withDestinationPath: real + "/" + program)
        }
        // Written by pg_ctl, which runs as the scratch server's account.
        guard manager.createFile(atPath: folder + "/kills", contents: nil, attributes: [.posixPermissions: 0o666]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let script = """
            #!/bin/sh
            # Laterbase test fault: the scratch server pg_ctl has just started is SIGKILLed.
            "\(real)/pg_ctl" "$@"
            status=$?
            data= previous=
            for argument in "$@"; do [ "$previous" = "-D" ] && data=$argument; previous=$argument; done
            case " $* " in
              *" start "*)
                if [ \(everyStart ? 1 : 0) = 1 ] || [ ! -s "\(folder)/kills" ]; then
                  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
                  [ -n "$pid" ] && kill -9 "$pid" && echo "$pid" >> "\(folder)/kills"
                fi ;;
            esac
            exit $status

            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: folder + "/pg_ctl"))
        chmod(folder + "/pg_ctl", 0o755)
        // The kills file's mode, whatever the umask.
        chmod(folder + "/kills", 0o666)
    }

    /// The PIDs of the postmasters killed so far.
    var killed: [String] {
        ((try? String(contentsOfFile: folder + "/kills", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
