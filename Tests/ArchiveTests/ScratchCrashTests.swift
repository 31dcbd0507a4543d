import Foundation
import LaterbaseTestSupport
import Shared
import Testing

/// `restore --at` when its scratch server dies (SIGKILL of the postmaster, as the kernel's OOM
/// killer does): with one library unpacked, once is survived by unpacking everything and
/// replaying again; a server that dies every time fails the restore in one line, and nothing is
/// left behind: no new database, no scratch folder, no process of a scratch server.
@Suite("undo window: the scratch server killed", .serialized, .timeLimit(.minutes(5)))
struct ScratchCrashTests {
    @Test("killed once at its first start (one library unpacked): everything unpacked and replayed again; the library comes back as it was")
    func killedOnce() async throws {
        try await RestoreAtSelectiveTests.archivingThreeLibraries { _, archive in
            let (timeline, noted) = try await Self.deletedTimeline(archive)
            let restore = try RunningRestore(archive, at: noted, as: "Resolve survived")
            let killed = await restore.killScratchPostmasters(limit: 1)
            let status = await restore.exitStatus()
            #expect(killed.count == 1, "the scratch server should have been killed once")
            #expect(status == 0, "\(restore.stderr)")
            #expect(restore.stdout.contains("unpacking the whole base backup and replaying again"), "\(restore.stdout.suffix(3000))")
            #expect(try await archive.clips(timeline, in: "Resolve survived") == 5)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(await Self.noScratchProcesses(archive), "a process of the killed scratch server is still running")
        }
    }

    @Test("killed at every start: exit 1 with one line, no new database, no scratch folder and no scratch process left")
    func killedAlways() async throws {
        try await RestoreAtSelectiveTests.archivingThreeLibraries { _, archive in
            let (_, noted) = try await Self.deletedTimeline(archive)
            let before = try FileManager.default.contentsOfDirectory(atPath: archive.layout.walDirectory).sorted()
            let restore = try RunningRestore(archive, at: noted, as: "Resolve never")
            let killed = await restore.killScratchPostmasters(limit: 10)
            let status = await restore.exitStatus()
            print("measured: scratch postmasters killed before restore --at gave up: \(killed.count)")
            #expect(status == 1, "\(restore.stderr)")
            let message = restore.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            print("measured: restore --at with the scratch server killed at every start: \(message)")
            #expect(!message.isEmpty && !message.contains("\n"), "one line expected: \(message)")
            #expect(message.contains("scratch server") && message.contains("something outside it ended it (the kernel's out-of-memory killer"), "\(message)")
            #expect(killed.count == 2, "one kill per pass: the one-library pass, then the pass with everything unpacked (\(killed))")
            #expect(try await archive.databaseExists("Resolve never") == false)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(await Self.noScratchProcesses(archive), "a process of a killed scratch server is still running")
            // The archive itself is untouched (the receiver may have added a segment since).
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

/// `backup-agent restore --db Resolve --at TIME --as NEWDB` running in the background, its
/// output in files beside the backup folder.
final class RunningRestore: @unchecked Sendable {
    let process = Process()
    let archive: ArchiveHarness
    private let outPath: String
    private let errPath: String

    init(_ archive: ArchiveHarness, at time: String, as newDatabase: String) throws {
        self.archive = archive
        outPath = archive.backupDirectory + ".restore.out"
        errPath = archive.backupDirectory + ".restore.err"
        for path in [outPath, errPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.executable("backup-agent"))
        process.arguments = ["restore", "--db", "Resolve", "--at", time, "--as", newDatabase]
        var env = archive.environment()
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// SIGKILLs each scratch postmaster as soon as its `postmaster.pid` names it, up to `limit`
    /// of them, until the restore exits. Returns the PIDs killed.
    func killScratchPostmasters(limit: Int) async -> [pid_t] {
        var killed: [pid_t] = []
        while process.isRunning && killed.count < limit {
            for entry in archive.scratchLeftovers {
                let pidFile = archive.layout.scratchDirectory + "/" + entry + "/data/postmaster.pid"
                guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                      let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) }), pid > 0, !killed.contains(pid) else { continue }
                kill(pid, SIGKILL)
                killed.append(pid)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return killed
    }

    /// Waits up to 3 minutes for the exit; nil if it still runs (then it is killed).
    func exitStatus() async -> Int32? {
        guard await poll(timeout: .seconds(180), every: .milliseconds(100), { !self.process.isRunning }) else {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
}
