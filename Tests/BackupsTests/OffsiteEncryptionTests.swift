import Backups
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
import Testing

/// Offsite copies through rclone's own crypt remote over a real WebDAV remote: what leaves the
/// building is ciphertext under scrambled names, checked with `rclone cryptcheck`; and
/// `OFFSITE_REQUIRE_ENCRYPTION=on` copies nothing to a remote that is not one.
@Suite("encrypted offsite copies", .timeLimit(.minutes(4)))
struct OffsiteEncryptionTests {
    @Test("through a crypt remote: no gzip and no library name on the remote, cryptcheck passes, a flipped byte is found, the unchanged library's copy is made on the server")
    func sealed() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            let server = try RcloneServer()
            defer { agent.remove(); server.remove() }
            try await cluster.createDatabase("Demo Library")
            try await ResolveFixture.populate(cluster, database: "Demo Library", projects: 2, blobKilobytes: 64)
            let config = try await server.sealedConfig(localTwin: true)
            let offsite = ["RCLONE_REMOTE_NAME": "sealed", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": config,
                           "OFFSITE_REQUIRE_ENCRYPTION": "on", "BACKUP_RETENTION_DAYS": "1"]
            let first = try await agent.run(["backup"], offsite)
            #expect(first.status == 0, "\(first.stderr)")
            let second = try await agent.run(["backup"], offsite)  // unchanged: a server-side copy
            #expect(second.status == 0, "\(second.stderr)")
            #expect((second.stdout + second.stderr).contains("server_side_copy_of=\"Demo Library_backup_"), "\(second.stdout)")
            let health = try await agent.run(["healthcheck"], offsite)
            #expect(health.status == 0, "\(health.stdout)")

            let objects = server.files()
            #expect(objects.count == 4, "\(objects)")
            for object in objects {
                #expect(object.hasPrefix("vault/") && !object.contains("Demo") && !object.contains("laterbase") && !object.contains(".gz"), "\(object)")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: server.served + "/" + object))
                #expect(!bytes.starts(with: [0x1f, 0x8b]), "\(object) is gzip in the clear")
                #expect(bytes.range(of: Data("Demo Library".utf8)) == nil && bytes.range(of: Data("SM_Project".utf8)) == nil, "\(object) holds plain text")
            }

            let layout = BackupLayout(root: agent.backupDirectory)
            let backup = try #require(StoredBackup.all(in: layout).first)
            let remote = try #require(RcloneRemote(settings: try BackupSettings(environment: EnvironmentReader(agent.environment(offsite)))))
            #expect(await remote.type() == "crypt")
            try await remote.check(folder: backup.folder, file: backup.file, localPath: backup.path, sha256: backup.manifest?.sha256)

            // One byte of one ciphertext flipped on the remote, past its header: the same size, found by cryptcheck.
            let largest = try #require(objects.max { Self.size(server.served + "/" + $0) < Self.size(server.served + "/" + $1) })
            let handle = try #require(FileHandle(forUpdatingAtPath: server.served + "/" + largest))
            try handle.seek(toOffset: 4096)
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: 4096)
            try handle.write(contentsOf: Data([byte ^ 0x01]))
            try handle.close()
            var found = 0
            for stored in StoredBackup.all(in: layout) {
                do {
                    try await remote.check(folder: stored.folder, file: stored.file, localPath: stored.path, sha256: stored.manifest?.sha256)
                } catch let error as OffsiteError {
                    // WebDAV keeps no hashes: the copy is read back and decrypted, and fails to authenticate.
                    #expect(error.code == .hashMismatch && "\(error)".contains("rclone check --download"), "\(error)")
                    found += 1
                }
            }
            #expect(found == 1)

            // The same objects through a real remote that keeps hashes: rclone cryptcheck itself.
            var hashedEnvironment = offsite
            hashedEnvironment["RCLONE_REMOTE_NAME"] = "hashed"
            let hashedSettings = try BackupSettings(environment: EnvironmentReader(agent.environment(hashedEnvironment)))
            let hashed = try #require(RcloneRemote(settings: hashedSettings))
            var mismatches: [String] = []
            for stored in StoredBackup.all(in: layout) {
                do {
                    try await hashed.check(folder: stored.folder, file: stored.file, localPath: stored.path, sha256: stored.manifest?.sha256)
                } catch let error as OffsiteError {
                    mismatches.append("\(error)")
                }
            }
            #expect(mismatches.count == 1 && mismatches[0].contains("rclone cryptcheck"), "\(mismatches)")
        }
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    @Test("OFFSITE_REQUIRE_ENCRYPTION=on and a plain remote: run stops with exit 78 in one line; a pass copies nothing and health names why")
    func refused() async throws {
        try await PostgresCluster.withCluster { cluster in
            let agent = try AgentHarness(cluster: cluster)
            let server = try RcloneServer()
            defer { agent.remove(); server.remove() }
            try await cluster.createDatabase("Demo Library")
            try await ResolveFixture.populate(cluster, database: "Demo Library", projects: 1, blobKilobytes: 16)
            let plain = ["RCLONE_REMOTE_NAME": "offsite", "RCLONE_REMOTE_PATH": "laterbase", "RCLONE_CONFIG": server.configPath,
                         "OFFSITE_REQUIRE_ENCRYPTION": "on"]
            let run = try await agent.run(["run"], plain)
            #expect(run.status == 78, "\(run.stderr)")
            #expect(run.stderr.contains("OFFSITE_REQUIRE_ENCRYPTION") && run.stderr.contains("a webdav remote, unencrypted"), "\(run.stderr)")
            #expect(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(run.stderr)")

            let pass = try await agent.run(["backup"], plain)
            #expect(pass.status == 0, "a refused offsite copy must not fail the local backup: \(pass.stderr)")
            #expect(server.files().isEmpty, "\(server.files())")
            let health = try await agent.run(["healthcheck"], plain)
            #expect(health.status == 1 && health.stdout.contains("OFFSITE_REQUIRE_ENCRYPTION=on"), "\(health.stdout)")
        }
    }
}
