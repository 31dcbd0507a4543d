import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
@testable import Standby
import Testing

/// One `standby-entrypoint run` per PGDATA, and the passfile outside PGDATA, on real clusters.
@Suite("standby-entrypoint: PGDATA lock and passfile", .timeLimit(.minutes(4)))
struct StandbyLockTests {
    static let primaryOptions = PostgresCluster.Options(replication: true)

    /// Contents and modification times of the files a run would rewrite.
    static func snapshot(_ data: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in ["postgresql.auto.conf", "pg_hba.conf", "postmaster.pid", "standby.signal"] {
            let path = data + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            result[name] = "\(modified) " + (try String(contentsOfFile: path, encoding: .utf8))
        }
        let passfile = DataDirectory(path: data).passfilePath
        result["passfile"] = "\((try FileManager.default.attributesOfItem(atPath: passfile)[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        return result
    }

    @Test("a second run on a PGDATA whose postgres runs fails with one line and touches nothing (the lock went through exec)")
    func secondRunWhileServing() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                let before = try Self.snapshot(standby.dataDirectory)
                // The postmaster (the entrypoint's pid after exec) holds the lock file open.
                let pid = try #require(standby.pid)
                let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
                let targets = descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
                #expect(targets.contains(standby.dataDirectory + ".laterbase/lock"), "\(targets)")
                let second = try await standby.command(["run", "--"] + StandbyProcess.testServerArguments)
                #expect(second.status == 1)
                #expect(second.stderr == "PGDATA \(standby.dataDirectory) is in use by another standby-entrypoint or the postgres it started "
                    + "(\(standby.dataDirectory).laterbase/lock is locked); nothing was touched: stop the other one first, "
                    + "two servers on one data directory would corrupt it\n")
                #expect(try Self.snapshot(standby.dataDirectory) == before)
                #expect(try await standby.command(["healthcheck"]).status == 0)

                // Once postgres is gone the lock is free: a restart works.
                await standby.stop()
                try standby.start()
                try await standby.waitUntilHealthy()
            }
        }
    }

    @Test("a second run during the first one's clone fails and leaves the clone alone")
    func secondRunDuringClone() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.whileCloning(primary: primary) { standby in
                let temporary = standby.cloneTemporaryPath
                let second = try await standby.command(["run"])
                #expect(second.status == 1)
                #expect(second.stderr.hasPrefix("PGDATA \(standby.dataDirectory) is in use by another standby-entrypoint"), "\(second.stderr)")
                #expect(FileManager.default.fileExists(atPath: temporary + "/PG_VERSION"), "the second run removed the clone in progress")
                standby.send(SIGTERM)
                #expect(await standby.waitForExit(timeout: .seconds(30)) == 1)
                #expect(!FileManager.default.fileExists(atPath: temporary))
            }
        }
    }

    @Test("the passfile lives in a 0700 directory beside PGDATA; an older version's passfile in PGDATA is removed and primary_conninfo rewritten")
    func passfileOutsidePGDATA() async throws {
        try await PostgresCluster.withCluster(Self.primaryOptions) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                let data = DataDirectory(path: standby.dataDirectory)
                try standby.start()
                try await standby.waitUntilHealthy()
                let conninfo = try #require(try await standby.query("SHOW primary_conninfo").scalar)
                #expect(ConnInfo.parse(conninfo)?.first { $0.0 == "passfile" }?.1 == standby.dataDirectory + ".laterbase/primary.pgpass")
                let file = try FileManager.default.attributesOfItem(atPath: data.passfilePath)
                let directory = try FileManager.default.attributesOfItem(atPath: data.privatePath)
                #expect((file[.posixPermissions] as? Int) == 0o600)
                #expect((directory[.posixPermissions] as? Int) == 0o700)
                if SystemAccount.isRoot {
                    #expect((file[.ownerAccountName] as? String) == "postgres")
                    #expect((directory[.ownerAccountName] as? String) == "postgres")
                }
                #expect(!FileManager.default.fileExists(atPath: data.legacyPassfilePath))
                await standby.stop()

                // Make it look like an installation of the previous version.
                let autoConfPath = standby.dataDirectory + "/postgresql.auto.conf"
                let autoConf = try String(contentsOfFile: autoConfPath, encoding: .utf8)
                try autoConf.replacingOccurrences(of: data.passfilePath, with: data.legacyPassfilePath)
                    .write(toFile: autoConfPath, atomically: false, encoding: .utf8)
                try PassFile.write([PassFile.line(host: "127.0.0.1", port: primary.port, user: "postgres", password: primary.password)],
                                   to: data.legacyPassfilePath, owner: primary.account)
                try FileManager.default.removeItem(atPath: data.privatePath)

                try standby.start()
                try await standby.waitUntilHealthy()
                #expect(!FileManager.default.fileExists(atPath: data.legacyPassfilePath))
                let upgraded = try #require(try await standby.query("SHOW primary_conninfo").scalar)
                #expect(ConnInfo.parse(upgraded)?.first { $0.0 == "passfile" }?.1 == data.passfilePath)
                #expect(standby.log.contains("moved the passfile out of PGDATA"))
                #expect(try String(contentsOfFile: autoConfPath, encoding: .utf8).contains(data.legacyPassfilePath) == false)
            }
        }
    }
}
