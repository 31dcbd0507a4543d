import Foundation
import LaterbaseTestSupport
import Testing
import UndoWindow

/// A failover: the standby is promoted (timeline 2) and the agent is pointed at it.
@Suite("undo window: timeline switch", .serialized, .timeLimit(.minutes(5)))
struct TimelineSwitchTests {
    @Test("after a promote the archive continues on the new timeline (.history) and a time after the promote restores")
    func afterPromote() async throws {
        try await ArchiveHarness.with { cluster, archive in
            try await StandbyProcess.withStandby(primary: cluster) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                var agent = try archive.startAgent()
                #expect(await archive.waitUntilArchiving(), "\(archive.log)")
                let before = try await archive.addTimeline("Before the failover", items: 2)
                try await Task.sleep(for: .seconds(2))
                await cluster.stop()
                #expect(await archive.stop(agent) == 0)
                let promoted = try await standby.command(["promote"])
                try #require(promoted.status == 0, "\(promoted.stderr)")
                // The new primary must accept the receiver's replication connection, as the old one did.
                let hba = standby.dataDirectory + "/pg_hba.conf"
                let lines = try String(contentsOfFile: hba, encoding: .utf8) + "host replication all 127.0.0.1/32 scram-sha-256\n"
                try lines.write(toFile: hba, atomically: false, encoding: .utf8)
                try await standby.query("SELECT pg_reload_conf()")

                let newPrimary = ["PRIMARY_PORT": String(standby.port)]
                agent = try archive.startAgent(newPrimary)
                let following = await poll(timeout: .seconds(90), every: .milliseconds(250)) {
                    FileManager.default.fileExists(atPath: archive.layout.walDirectory + "/00000002.history")
                        && (ReceiverStatus.load(archive.layout)?.isStreaming(now: Date()) ?? false)
                }
                #expect(following, "\(archive.log)")
                let server = standby.parameters()
                let after = try await archive.addTimeline("After the failover", items: 3, on: server)
                try await Task.sleep(for: .milliseconds(1200))
                let noted = ArchiveHarness.text(Date())
                try await Task.sleep(for: .milliseconds(1200))
                let later = try await archive.addTimeline("Later", items: 1, on: server)
                try await Task.sleep(for: .seconds(3))

                let result = try await archive.run(["restore", "--db", "Resolve", "--at", noted, "--as", "Resolve after failover"], newPrimary)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(try await archive.clips(before, in: "Resolve after failover", on: server) == 2)
                #expect(try await archive.clips(after, in: "Resolve after failover", on: server) == 3)
                #expect(try await archive.clips(later, in: "Resolve after failover", on: server) == 0)
                #expect(archive.scratchLeftovers.isEmpty)
                #expect(await archive.stop(agent) == 0)
            }
        }
    }
}
