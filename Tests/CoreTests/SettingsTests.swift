@testable import Backups
import Foundation
@testable import LaterbaseCore
import Logging
@testable import Standby
import Testing

@Suite("Settings of each executable")
struct SettingsTests {
    @Test("standby defaults match DESIGN.md")
    func standbyDefaults() throws {
        let settings = try StandbySettings(environment: EnvironmentReader(["PRIMARY_HOST": "resolve.local"]))
        #expect(settings.primary.port == 5432)
        #expect(settings.primary.user == "postgres")
        #expect(settings.primary.sslMode == "prefer")
        #expect(settings.primary.password == nil)
        #expect(settings.dataDirectory == "/var/lib/postgresql/data")
        #expect(settings.slotName == "laterbase_standby_slot")
        #expect(settings.createSlot)
        #expect(settings.localPort == 5432)
        #expect(settings.accessSubnets.isEmpty)
        #expect(settings.reclone == .never)
        #expect(settings.log == LogSettings(format: .text, level: .info))
    }

    @Test("a missing PRIMARY_HOST is the first thing reported")
    func missingHost() {
        let error = #expect(throws: ConfigurationError.self) { try StandbySettings(environment: EnvironmentReader([:])) }
        #expect(error?.variable == "PRIMARY_HOST")
    }

    @Test("invalid slot names are refused", arguments: ["Bad-Slot", "", String(repeating: "a", count: 64), "slot;drop"])
    func slotNames(name: String) {
        let env = EnvironmentReader(["PRIMARY_HOST": "h", "REPLICATION_SLOT": name])
        if name.isEmpty {
            #expect(throws: Never.self) { try StandbySettings(environment: env) }
        } else {
            let error = #expect(throws: ConfigurationError.self) { try StandbySettings(environment: env) }
            #expect(error?.variable == "REPLICATION_SLOT")
        }
    }

    @Test("backup settings: old PRIMARY_DB, auto, and BACKUP_HOST defaulting to the primary")
    func backup() throws {
        let old = try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "resolve", "PRIMARY_PORT": "5433", "PRIMARY_DB": "Resolve_Main"]))
        #expect(old.databases == ["Resolve_Main"])
        #expect(old.source.host == "resolve")
        #expect(old.source.port == 5433)
        #expect(old.backupDirectory == "/backups")
        #expect(old.schedule == "@hourly")
        #expect((old.keepHourly, old.keepDaily, old.keepWeekly, old.keepMonthly) == (24, 7, 4, 6))
        let auto = try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "resolve", "PRIMARY_DBS": "auto", "BACKUP_HOST": "standby", "BACKUP_PORT": "5434"]))
        #expect(auto.databases.isEmpty)
        #expect(auto.source.host == "standby")
        #expect(auto.source.port == 5434)
        #expect(auto.primary.host == "resolve")
    }

    @Test("BACKUP_LOCK_WAIT: 10 minutes by default, a duration, at least one second")
    func lockWait() throws {
        #expect(try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h"])).lockWaitSeconds == 600)
        #expect(try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h"])).maxStandbyLagSeconds == 300)
        #expect(try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h", "BACKUP_LOCK_WAIT": "2m"])).lockWaitSeconds == 120)
        for bad in ["0", "soon"] {
            let error = #expect(throws: ConfigurationError.self) {
                try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h", "BACKUP_LOCK_WAIT": bad]))
            }
            #expect(error?.variable == "BACKUP_LOCK_WAIT")
        }
    }

    @Test("rclone needs both the remote name and path")
    func rcloneHalf() {
        let error = #expect(throws: ConfigurationError.self) {
            try BackupSettings(environment: EnvironmentReader(["PRIMARY_HOST": "h", "RCLONE_REMOTE_NAME": "offsite"]))
        }
        #expect(error?.variable == "RCLONE_REMOTE_PATH")
    }

    @Test("LOG_FORMAT and LOG_LEVEL are validated")
    func logSettings() throws {
        #expect(try LogSettings(environment: EnvironmentReader(["LOG_FORMAT": "JSON", "LOG_LEVEL": "debug"])) == LogSettings(format: .json, level: .debug))
        let error = #expect(throws: ConfigurationError.self) { try LogSettings(environment: EnvironmentReader(["LOG_LEVEL": "verbose"])) }
        #expect(error?.variable == "LOG_LEVEL")
    }
}
