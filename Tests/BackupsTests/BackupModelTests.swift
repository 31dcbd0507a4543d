@testable import Backups
import Foundation
@testable import LaterbaseCore
import Testing

@Suite("Manifest, layout, catalog and health")
struct BackupModelTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    static func manifest() -> BackupManifest {
        BackupManifest(
            database: "Resolve Main", file: "Resolve Main_backup_20261124_150000.sql.gz", serverVersion: "13.16",
            pgDumpVersion: "pg_dump (PostgreSQL) 15.18", startedAt: t0, finishedAt: t0 + 42, rawBytes: 1000, compressedBytes: 510,
            sha256: String(repeating: "a", count: 64), contentFingerprint: String(repeating: "b", count: 64),
            sourceHost: "resolve", sourcePort: 5432, compression: .init(level: 6, strategy: .adaptive, blockSize: 1 << 20),
            unchangedFrom: nil,
            resolve: ResolveCatalog(schemaVersion: "18.6.0.0015", projects: [ResolveProject(name: "Spot '26", folder: "Clients/Commercials", lastModified: t0)]))
    }

    @Test("manifest JSON round-trips and has the documented keys")
    func manifestEncoding() throws {
        let manifest = Self.manifest()
        let data = try manifest.encoded()
        #expect(try BackupManifest.decode(data) == manifest)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["formatVersion", "database", "serverVersion", "pgDumpVersion", "startedAt", "finishedAt", "rawBytes",
                    "compressedBytes", "sha256", "sourceHost", "resolve"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"startedAt\" : \"2026-11-18T"))
        #expect(text.contains("\"folder\" : \"Clients/Commercials\""))
    }

    @Test("a manifest from a newer format is refused with advice")
    func newerFormat() throws {
        var manifest = Self.manifest()
        manifest.formatVersion = 99
        let error = #expect(throws: BackupError.self) { try BackupManifest.decode(try manifest.encoded()) }
        #expect(error?.code == .manifestTooNew)
        #expect(error?.description.contains("upgrade Laterbase") == true)
    }

    @Test("file names are UTC stamps and parse back")
    func layout() {
        let name = BackupLayout.fileName(database: "Resolve", at: Date(timeIntervalSince1970: 1_795_000_000))
        #expect(name == "Resolve_backup_20261118_110640.sql.gz")
        #expect(BackupLayout.time(ofFileName: name) == Date(timeIntervalSince1970: 1_795_000_000))
        #expect(BackupLayout.time(ofFileName: ".x.partial") == nil)
        #expect(BackupLayout.manifestPath(forBackup: "/b/R/R_backup_1.sql.gz") == "/b/R/R_backup_1.json")
        #expect(BackupLayout.folderName(for: "a/b") == "a%2Fb")
        #expect(BackupLayout.folderName(for: ".hidden") == "%2Ehidden")
        #expect(BackupLayout.folderName(for: "Résolve 项目") == "Résolve 项目")
    }

    @Test("catalog: folder paths from the tree, missing folders, cycles, NULL times")
    func catalog() {
        let catalog = ResolveCatalog.build(
            schemaVersion: "18.6",
            projectRows: [["Spot", "f3", "1795000000"], ["Loose", nil, nil], ["Orphan", "gone", "x"], [nil, "f1", "1"], ["Loop", "c1", "5"]],
            folderRows: [["f1", nil, "Clients"], ["f2", "f1", "Commercials"], ["f3", "f2", "2026"], ["c1", "c2", "A"], ["c2", "c1", "B"]])
        #expect(catalog.projects.map(\.name) == ["Loose", "Orphan", "Loop", "Spot"])
        #expect(catalog.projects.first { $0.name == "Spot" }?.folder == "Clients/Commercials/2026")
        #expect(catalog.projects.first { $0.name == "Spot" }?.lastModified == Date(timeIntervalSince1970: 1_795_000_000))
        #expect(catalog.projects.first { $0.name == "Loose" }?.folder == "")
        #expect(catalog.projects.first { $0.name == "Orphan" }?.lastModified == nil)
        #expect(catalog.projects.first { $0.name == "Loop" }?.folder == "B/A")
    }

    @Test("health transitions")
    func health() {
        let hour: TimeInterval = 3600
        var state = AgentState()
        let maxAge = 2 * hour + 600
        #expect(BackupHealth.evaluate(state, now: Self.t0, maxAge: maxAge).message == "unhealthy: no backup pass has run yet")

        var pass = AgentState.Pass(startedAt: Self.t0)
        pass.failed["Resolve"] = "cannot reach PostgreSQL"
        state.lastPass = pass
        let failed = BackupHealth.evaluate(state, now: Self.t0, maxAge: maxAge)
        #expect(!failed.healthy)
        #expect(failed.message == "unhealthy: the last pass failed for Resolve: cannot reach PostgreSQL")

        pass.failed = [:]
        pass.succeeded = ["Resolve"]
        state.lastPass = pass
        var entry = AgentState.DatabaseState()
        entry.lastSuccess = Self.t0
        state.databases["Resolve"] = entry
        let fresh = BackupHealth.evaluate(state, now: Self.t0 + 5 * 60, maxAge: maxAge)
        #expect(fresh.healthy)
        #expect(fresh.message == "healthy: 1 database(s) backed up, newest 5m ago")
        let stale = BackupHealth.evaluate(state, now: Self.t0 + 3 * hour, maxAge: maxAge)
        #expect(!stale.healthy)
        #expect(stale.message == "unhealthy: the newest backup of Resolve is 3h00m old (limit 2h10m)")
    }

    @Test("a one-database pass keeps the other databases' failures; a dropped library stops counting")
    func mergeAndCurrentDatabases() {
        var full = AgentState.Pass(startedAt: Self.t0)
        full.succeeded = ["A"]
        full.failed = ["B": "cannot reach PostgreSQL"]
        var single = AgentState.Pass(startedAt: Self.t0 + 60)
        single.succeeded = ["A"]
        let merged = BackupPass.merge(single: single, into: full)
        #expect(merged.failed == ["B": "cannot reach PostgreSQL"])
        var fixed = AgentState.Pass(startedAt: Self.t0 + 120)
        fixed.succeeded = ["B"]
        #expect(BackupPass.merge(single: fixed, into: merged).failed.isEmpty)
        #expect(BackupPass.merge(single: fixed, into: merged).succeeded == ["A", "B"])

        var state = AgentState()
        var pass = AgentState.Pass(startedAt: Self.t0)
        pass.succeeded = ["Current"]
        state.lastPass = pass
        var fresh = AgentState.DatabaseState()
        fresh.lastSuccess = Self.t0
        var old = AgentState.DatabaseState()
        old.lastSuccess = Self.t0 - 30 * 86400
        state.databases = ["Current": fresh, "Dropped": old]
        #expect(BackupHealth.evaluate(state, now: Self.t0 + 60, maxAge: 7800).healthy)
    }

    @Test("the default health age is twice the schedule interval plus ten minutes")
    func defaultMaxAge() throws {
        let settings = try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h"]))
        let age = BackupHealth.maxAge(settings: settings, schedule: try CronSchedule("@hourly"), zone: TimeZone(identifier: "UTC")!, now: Self.t0)
        #expect(age == 2 * 3600 + 600)
        let configured = try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h", "HEALTH_MAX_BACKUP_AGE": "3h"]))
        #expect(BackupHealth.maxAge(settings: configured, schedule: try CronSchedule("@hourly"), zone: .current, now: Self.t0) == 3 * 3600)
    }
}
