import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// `restore --at` when its scratch server dies (SIGKILL of the postmaster, as the kernel's OOM
/// killer does): during replay with one library unpacked, once is survived by unpacking
/// everything and replaying again; a server that dies every time, or during the copy, fails the
/// restore in one line naming the scratch server, and nothing is left behind: no new database,
/// no scratch folder, no process of a scratch server.
///
/// The kill comes at one point, whatever the machine's load: `PG_BINDIR` of the restore names a
/// folder of links to the run's real PostgreSQL programs where `pg_ctl` (or `pg_dump`) is a
/// script that kills the scratch server at that point and runs the real program
/// (``KillingServerPrograms``; the restore waits for that program).
@Suite("undo window: the scratch server killed", .serialized, .timeLimit(.minutes(5)))
struct ScratchCrashTests {
    @Test("killed once during replay (one library unpacked): everything unpacked and replayed again; the library comes back as it was")
    func killedOnce() async throws {
        try await RestoreAtSelectiveTests.archivingThreeLibraries { cluster, archive in
            let (timeline, noted) = try await Self.deletedTimeline(archive)
            let programs = try KillingServerPrograms(cluster: cluster, folder: archive.backupDirectory + ".bin", kill: .firstStart)
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
            let programs = try KillingServerPrograms(cluster: cluster, folder: archive.backupDirectory + ".bin", kill: .everyStart)
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

    @Test("killed as the copy starts: exit 1 with one line naming the scratch server (not pg_dump's words, which could be the Resolve server's), the new database dropped, nothing left")
    func killedBeforeCopy() async throws {
        try await RestoreAtSelectiveTests.archivingThreeLibraries { cluster, archive in
            let (_, noted) = try await Self.deletedTimeline(archive)
            let programs = try KillingServerPrograms(cluster: cluster, folder: archive.backupDirectory + ".bin", kill: .beforeDump)
            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve copy"], ["PG_BINDIR": programs.folder])
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            print("measured: restore --at with the scratch server killed as the copy starts: \(message)")
            #expect(programs.killed.count == 1, "\(programs.killed)")
            #expect(result.status == 1, "\(result.stderr)")
            #expect(!message.isEmpty && !message.contains("\n"), "one line expected: \(message)")
            #expect(message.hasPrefix("restore of Resolve at \(noted) UTC failed and \"Resolve copy\" was removed again: the scratch server stopped during the copy: "), "\(message)")
            #expect(message.contains("something outside it ended it") && !message.contains("pg_dump"), "\(message)")
            #expect(try await archive.databaseExists("Resolve copy") == false)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(await Self.noScratchProcesses(archive), "a process of the killed scratch server is still running")
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

/// A folder for `PG_BINDIR`: links to the test run's PostgreSQL programs, one of them a script
/// that SIGKILLs the scratch server's postmaster at one point of the restore and writes its PID
/// to `kills`. ``ArchiveHarness/remove()`` removes it.
struct KillingServerPrograms {
    enum When {
        /// `pg_ctl` runs the real one; after the first `start` (or each), it kills the server it
        /// has just seen ready, before the restore goes on.
        case firstStart, everyStart
        /// `pg_dump` kills the server named by `PGHOST` (the scratch server's socket folder), then
        /// runs the real one.
        case beforeDump
    }

    let folder: String

    init(cluster: PostgresCluster, folder: String, kill when: When) throws {
        self.folder = folder
        let kills = folder + "/kills"
        let kill = """
            pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
            [ -n "$pid" ] && kill -9 "$pid" && echo "$pid" >> "\(kills)"
            """
        _ = try WrappedServerPrograms(tools: cluster.tools, folder: folder, wrapping: when == .beforeDump ? "pg_dump" : "pg_ctl") { real in
            switch when {
            case .firstStart, .everyStart:
                return """
                    #!/bin/sh
                    # Laterbase test fault: the scratch server pg_ctl has just started is SIGKILLed.
                    "\(real)/pg_ctl" "$@"
                    status=$?
                    data= previous=
                    for argument in "$@"; do [ "$previous" = "-D" ] && data=$argument; previous=$argument; done
                    case " $* " in
                      *" start "*)
                        if [ \(when == .everyStart ? 1 : 0) = 1 ] || [ ! -s "\(kills)" ]; then
                    \(kill)
                        fi ;;
                    esac
                    exit $status

                    """
            case .beforeDump:
                return """
                    #!/bin/sh
                    # Laterbase test fault: the scratch server is SIGKILLed just before pg_dump reads it.
                    data="$PGHOST/data"
                    \(kill)
                    exec "\(real)/pg_dump" "$@"

                    """
            }
        }
        // Written by the script, which runs as the scratch server's account when it is pg_ctl.
        guard FileManager.default.createFile(atPath: kills, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        chmod(kills, 0o666)
    }

    /// The PIDs of the postmasters killed so far.
    var killed: [String] {
        ((try? String(contentsOfFile: folder + "/kills", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
