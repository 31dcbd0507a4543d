@testable import Backups
import Crypto
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// An idle day offsite: 24 hourly points of an unchanged library copied to a real rclone remote
/// (`rclone serve webdav`) through a proxy that counts every byte the agent sends.
@Suite("offsite copies of an idle day", .timeLimit(.minutes(5)))
struct IdleDayOffsiteTests {
    @Test("unchanged hours are server-side copies on the remote: an idle day uploads no backup bytes")
    func idleDay() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            let remote = try RcloneServer()
            let proxy = try CountingProxy(upstream: remote.port)
            defer { agent.remove(); remote.remove(); proxy.stop() }
            try await cluster.createDatabase("Resolve")
            try await ResolveFixture.populate(cluster, database: "Resolve", projects: 2, blobKilobytes: 512)
            let config = agent.backupDirectory + "-rclone.conf"
            defer { unlink(config) }
            try "[offsite]\ntype = webdav\nurl = http://127.0.0.1:\(proxy.port)\nvendor = other\n".write(toFile: config, atomically: true, encoding: .utf8)
            let offsite = ["RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": config,
                           "BACKUP_RETENTION_DAYS": "1", "LOG_LEVEL": "info"]

            let first = try await agent.run(["backup"], offsite)
            #expect(first.status == 0, "\(first.stderr)")
            let original = try #require(agent.backups(of: "Resolve").first)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: agent.path("Resolve", original))[.size] as? NSNumber).int64Value
            let firstUpload = proxy.counts.uploaded
            #expect(firstUpload >= size, "the first copy must be uploaded (\(firstUpload) bytes sent for a \(size)-byte file)")

            for hour in 1...24 {
                let pass = try await agent.run(["backup"], offsite)
                #expect(pass.status == 0, "hour \(hour): \(pass.stderr)")
            }
            let idleUpload = proxy.counts.uploaded - firstUpload
            print("measured: backup file \(size) bytes; first pass sent \(firstUpload) bytes; 24 idle passes sent \(idleUpload) bytes "
                + "(\(idleUpload / 24) per pass: manifests and WebDAV requests)")
            // Before, every idle hour uploaded the whole file again: 24 × size.
            #expect(idleUpload < size / 4, "an idle day sent \(idleUpload) bytes for a \(size)-byte backup")
            #expect(idleUpload < 24 * 64 * 1024)

            let local = agent.backups(of: "Resolve")
            try #require(local.count == 25)
            let manifest = try agent.manifest(of: "Resolve", file: original)
            for name in local {
                let path = remote.served + "/laterbase/Resolve/" + name
                #expect(FileManager.default.fileExists(atPath: path), "\(name) missing offsite")
                #expect(try await SecureFile.digest(of: path, using: SHA256.self) == manifest.sha256, "\(name) differs offsite")
            }
            let ledger = UploadLedger.load(BackupLayout(root: agent.backupDirectory))
            #expect(ledger.entries.values.filter { $0.copiedFrom == original }.count == 24)
            #expect(try await agent.run(["healthcheck"], offsite).status == 0)
        }
    }
}
