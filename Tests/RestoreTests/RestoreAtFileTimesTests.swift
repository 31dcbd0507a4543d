import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// restore --at chooses the WAL it copies by the files' times; times that are off must cost
/// replay time, never a state older than asked for.
@Suite("undo window: restore --at with WAL file times that are off", .timeLimit(.minutes(4)))
struct RestoreAtFileTimesTests {
    @Test("WAL files dated in the future (a clock step on the agent's host): the state at TIME all the same")
    func futureFileTimes() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            // Several finished segments after the base backup's start, before the timeline is made.
            for round in 0..<4 {
                try await archive.execute("CREATE TABLE filler_\(round) (x int); INSERT INTO filler_\(round) VALUES (\(round))")
                _ = try await cluster.query("SELECT pg_switch_wal()")
            }
            let timeline = try await archive.addTimeline("Made late", items: 5)
            try await Task.sleep(for: .milliseconds(1200))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            _ = try await cluster.query("SELECT pg_switch_wal()")
            try await Task.sleep(for: .milliseconds(1500))

            // Every finished segment looks written tomorrow: choosing by time alone stops at the first two.
            let tomorrow = Date().addingTimeInterval(86_400)
            let finished = try FileManager.default.contentsOfDirectory(atPath: archive.layout.walDirectory)
                .filter { $0.count == 24 && $0.allSatisfy(\.isHexDigit) }
            try #require(finished.count >= 5, "\(finished)")
            for name in finished {
                try FileManager.default.setAttributes([.modificationDate: tomorrow], ofItemAtPath: archive.layout.walDirectory + "/" + name)
            }

            let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve late"], ["LOG_LEVEL": "debug"])
            #expect(result.status == 0, "\(result.stderr)")
            // The rest staged while the server waits: one start, no second replay.
            #expect(result.stdout.contains("staging the rest of the archive"), "\(result.stdout)")
            #expect(result.stdout.components(separatedBy: "phase=\"start (consistent)\"").count - 1 == 1, "\(result.stdout)")
            #expect(try await archive.clips(timeline, in: "Resolve late") == 5, "the restored library is older than \(noted)")
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
            #expect(await archive.stop(agent) == 0)
        }
    }
}
