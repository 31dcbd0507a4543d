import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// The undo window end to end: `backup-agent run` with WAL_ARCHIVE=on (real pg_receivewal and
/// pg_basebackup against PostgreSQL 15), then `restore --db --at --as`.
@Suite("undo window: restore --at", .serialized, .timeLimit(.minutes(5)))
struct RestoreAtTests {
    @Test("a deleted timeline comes back in NEWDB as it was at TIME; the live library keeps lacking it; list --project --at shows the save time then")
    func deletedTimelineComesBack() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let timeline = try await archive.addTimeline("Edit v7", items: 4)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            // The project is saved again after the noted time.
            try await archive.execute(#"UPDATE "SM_Project" SET "LastModTimeInSecs" = 1795000000 WHERE "ProjectName" = 'Spot 2'"#)
            try await Task.sleep(for: .milliseconds(500))

            // What a restore killed with SIGKILL leaves: removed by the next restore.
            try FileManager.default.createDirectory(atPath: archive.layout.scratchDirectory + "/restore-KILLED/data", withIntermediateDirectories: true)
            let started = ContinuousClock.now
            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve at noted"])
            let took = ContinuousClock.now - started
            print("restore --at of the test library took \(took)")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("Resolve as it was at \(noted) UTC"), "\(result.stdout)")
            #expect(try await archive.clips(timeline, in: "Resolve at noted") == 4)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            let encoding = try await cluster.query("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'Resolve at noted'")
            #expect(encoding.scalar == "UTF8")
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")

            // list --project --at: the project's last-saved time as it was then, not now.
            let listed = try await archive.run(["list", "--project", "spot 2", "--at", noted])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout == "at \(noted) UTC:\n  Resolve: \"Spot 2\" in /Clients/Commercials saved 2026-09-21 14:13:22 UTC\n", "\(listed.stdout)")
            #expect(archive.scratchLeftovers.isEmpty)
            #expect(await archive.stop(agent) == 0)
            #expect(ReceiverStatus.load(archive.layout)?.state == .stopped)
        }
    }

    @Test("the last seconds before an immediate stop of the primary are restorable (from the .partial segment)")
    func partialSegment() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let before = try await archive.addTimeline("Before", items: 2)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            let after = try await archive.addTimeline("After", items: 2)
            try await Task.sleep(for: .milliseconds(300))
            await cluster.stop(mode: "immediate")
            #expect(await archive.stop(agent) == 0)
            let files = WalFile.scan(archive.layout, segmentSize: 16 * 1024 * 1024)
            #expect(files.last?.isPartial == true, "the newest WAL should still be a .partial segment: \(files.map(\.fileName))")
            try await cluster.restart()

            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve partial"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try await archive.clips(before, in: "Resolve partial") == 2)
            #expect(try await archive.clips(after, in: "Resolve partial") == 0)
            #expect(try await archive.clips(after, in: "Resolve") == 2)
            #expect(archive.scratchLeftovers.isEmpty)
        }
    }

    @Test("refusals: bad TIME, before the oldest, after the newest, existing NEWDB, unknown library — one line each, nothing left behind")
    func refusals() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            try await Task.sleep(for: .seconds(2))
            let now = ArchiveHarness.text(Date())
            try await Task.sleep(for: .seconds(5))  // the receiver confirms its position every 2 s
            #expect(await archive.stop(agent) == 0)

            let bad = try await archive.run(["restore", "--db", "Resolve", "--at", "yesterday at noon", "--as", "X1"])
            #expect(bad.status == 64)
            #expect(bad.stderr.hasPrefix("--at \"yesterday at noon\" is not a time; write it like \"2026-11-24 14:34:59\""), "\(bad.stderr)")
            #expect(bad.stderr.split(separator: "\n").count == 1)

            let early = try await archive.run(["restore", "--db", "Resolve", "--at", "2020-01-01 00:00:00", "--as", "X2"])
            #expect(early.status == 1)
            #expect(early.stderr.hasPrefix("2020-01-01 00:00:00 UTC is before the oldest restorable time "), "\(early.stderr)")
            #expect(early.stderr.split(separator: "\n").count == 1)

            let late = try await archive.run(["restore", "--db", "Resolve", "--at", ArchiveHarness.text(Date() + 3600), "--as", "X3"])
            #expect(late.status == 1)
            #expect(late.stderr.contains("is after the newest restorable time"), "\(late.stderr)")

            let exists = try await archive.run(["restore", "--db", "Resolve", "--at", now, "--as", "Resolve"])
            #expect(exists.status == 1)
            #expect(exists.stderr == "database \"Resolve\" already exists on 127.0.0.1:\(cluster.port); restore never writes into an existing library: choose a new name with --as\n")

            let unknown = try await archive.run(["restore", "--db", "Nope", "--at", now, "--as", "X4"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.hasPrefix("no library \"Nope\" on the server at \(now) UTC (libraries then: "), "\(unknown.stderr)")

            for name in ["X1", "X2", "X3", "X4"] { #expect(try await archive.databaseExists(name) == false) }
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }

    @Test("SIGTERM during restore --at: exit 1 with one line, the scratch server stopped and removed, no new database (made beside the replay, dropped again)")
    func sigterm() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .seconds(3))
            #expect(await archive.stop(agent) == 0)

            let errors = archive.backupDirectory + ".restore-errors"
            defer { try? FileManager.default.removeItem(atPath: errors) }
            let process = try launchProduct("backup-agent", ["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve stopped"],
                                            environment: archive.environment(), output: .errors(toFile: errors))
            // Stop it once its scratch server runs.
            var postmaster: pid_t?
            let running = await poll(timeout: .seconds(60), every: .milliseconds(20)) {
                for entry in archive.scratchLeftovers {
                    let pidFile = archive.layout.scratchDirectory + "/" + entry + "/data/postmaster.pid"
                    if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) }) {
                        postmaster = pid
                        return true
                    }
                }
                return false
            }
            try #require(running, "the restore should have started its scratch server")
            kill(process.processIdentifier, SIGTERM)
            let exited = await poll(timeout: .seconds(30)) { !process.isRunning }
            try #require(exited)
            let message = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == 1)
            #expect(message.hasPrefix("stopped by SIGTERM during the restore; the scratch server was removed"), "\(message)")
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(try await archive.databaseExists("Resolve stopped") == false)
            // Gone, or a zombie that init has yet to reap (it holds no memory and no files).
            if let postmaster { #expect(!ScratchCluster.isAlive(postmaster), "the scratch postmaster \(postmaster) should be gone") }
        }
    }
}
