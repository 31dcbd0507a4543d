import Foundation
import LaterbaseTestSupport
import Testing
@testable import UndoWindow

/// Where replay of `restore --at` ends when no commit follows TIME, and what it does with a
/// damaged archive: the scratch server runs in standby mode and waits at the end of the WAL
/// instead of ending recovery, so one pass suffices (``ReplayStall``).
@Suite("undo window: replay to the end of the archive", .serialized, .timeLimit(.minutes(5)))
struct RestoreAtReplayEndTests {
    @Test("no commit after TIME (an idle primary): one pass of replay to the end of the archive gives the state at TIME")
    func idleAfterTime() async throws {
        // No autovacuum: its ANALYZE would commit after TIME and end replay the usual way.
        try await ArchiveHarness.with(settings: ["autovacuum = off"]) { _, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let timeline = try await archive.addTimeline("Last edit", items: 3)
            try await Task.sleep(for: .milliseconds(1500))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .seconds(4))  // the receiver confirms its position every second
            #expect(await archive.stop(agent) == 0)

            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve idle"], ["LOG_LEVEL": "debug"])
            #expect(result.status == 0, "\(result.stderr)")
            // The log goes to standard output.
            #expect(result.stdout.contains("no commit after the target time in the archive: replayed to its end"), "\(result.stdout)")
            let starts = result.stdout.components(separatedBy: "phase=\"start (consistent)\"").count - 1
            #expect(starts == 1, "the scratch server started \(starts) times: \(result.stdout)")
            #expect(try await archive.clips(timeline, in: "Resolve idle") == 3)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }

    @Test("a damaged segment between the base backup and TIME: one line, exit 1, no new library, never an older one")
    func damagedSegment() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            // Full segments after the base backup (about 5 of 16 MB).
            try await archive.execute("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 20) AS t FROM generate_series(1, 100000) g")
            let timeline = try await archive.addTimeline("After the damage", items: 2)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            _ = try await cluster.query("SELECT pg_switch_wal()")
            try await Task.sleep(for: .seconds(3))
            #expect(await archive.stop(agent) == 0)

            let segmentSize: UInt64 = 16 * 1024 * 1024
            let files = WalFile.scan(archive.layout, segmentSize: segmentSize)
            let full = files.filter { !$0.isPartial && $0.bytes == Int64(segmentSize) }
            try #require(full.count >= 4, "\(files.map(\.fileName))")
            // One in the middle of the filler: replay stops there, far before TIME.
            let damaged = full[full.count / 2]
            let handle = try #require(FileHandle(forUpdatingAtPath: damaged.path))
            try handle.seek(toOffset: 8 * 1024 * 1024)
            try handle.write(contentsOf: Data(repeating: 0xAB, count: 64 * 1024))
            try handle.close()

            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve damaged"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("replay stopped at ") && result.stderr.contains("in the WAL segment \(damaged.segment.name)") && result.stderr.contains("missing or damaged"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            print("measured: restore --at over a damaged segment: \(result.stderr)")
            #expect(try await archive.databaseExists("Resolve damaged") == false)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }
}
