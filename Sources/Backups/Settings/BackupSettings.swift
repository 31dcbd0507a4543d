import Foundation
import LaterbaseCore

/// Configuration of `backup-agent`, read from the environment only.
public struct BackupSettings: Sendable {
    public var primary: PrimarySettings
    /// Databases to back up; empty means every database holding a Resolve library
    /// (`PRIMARY_DBS` or the old `PRIMARY_DB`; `auto` is the same as empty).
    public var databases: [String]
    /// Where backups are read from: `BACKUP_HOST`/`BACKUP_PORT`, default the primary.
    public var source: PrimarySettings
    public var backupDirectory: String
    /// `@hourly` or a 5-field cron expression, as given.
    public var schedule: String
    public var backupOnStart: Bool
    /// gzip level 1-9 (`BACKUP_COMPRESSION_LEVEL`).
    public var compressionLevel: Int
    /// Keep everything younger than this many days (0: no age rule).
    public var retentionDays: Int
    public var keepHourly: Int
    public var keepDaily: Int
    public var keepWeekly: Int
    public var keepMonthly: Int
    public var rcloneRemoteName: String?
    public var rcloneRemotePath: String?
    public var rcloneConfig: String?
    /// `OFFSITE_REQUIRE_ENCRYPTION`: copy offsite only to an rclone `crypt` remote.
    public var offsiteRequireEncryption: Bool
    /// Seconds; nil means "twice the schedule interval plus ten minutes".
    public var healthMaxBackupAge: Int?
    /// Seconds a library's backup waits for a table lock (`BACKUP_LOCK_WAIT`, default 10 minutes):
    /// both the project-list read and pg_dump's `--lock-wait-timeout`. A Resolve schema upgrade
    /// holding "SM_Project" longer fails that library for the pass instead of stalling it.
    public var lockWaitSeconds: Int
    /// When `BACKUP_HOST` is a standby: the replay lag (seconds) above which a pass reads from the
    /// primary instead (`BACKUP_MAX_STANDBY_LAG`, default 5 minutes).
    public var maxStandbyLagSeconds: Int
    /// Sessions a dump restore uses at once (`RESTORE_JOBS`, default the CPU count, at most 8).
    public var restoreJobs: Int
    public var log: LogSettings

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        primary = try PrimarySettings(environment: env)
        let listed = env.list("PRIMARY_DBS", aliases: ["PRIMARY_DB"])
        databases = listed.count == 1 && listed[0].lowercased() == "auto" ? [] : listed
        source = primary
        source.host = env.string("BACKUP_HOST", default: primary.host)!
        source.port = try env.port("BACKUP_PORT", default: primary.port)
        backupDirectory = env.string("BACKUP_DIR", default: "/backups")!
        guard backupDirectory.hasPrefix("/") else {
            throw ConfigurationError(variable: "BACKUP_DIR", problem: "must be an absolute path, got \"\(backupDirectory)\"")
        }
        schedule = env.string("BACKUP_SCHEDULE", default: "@hourly")!
        backupOnStart = try env.bool("BACKUP_ON_START", default: true)
        compressionLevel = try env.integer("BACKUP_COMPRESSION_LEVEL", default: 6, range: 1...9)
        retentionDays = try env.integer("BACKUP_RETENTION_DAYS", default: 0, range: 0...36_500)
        keepHourly = try env.integer("BACKUP_KEEP_HOURLY", default: 24, range: 0...100_000)
        keepDaily = try env.integer("BACKUP_KEEP_DAILY", default: 7, range: 0...100_000)
        keepWeekly = try env.integer("BACKUP_KEEP_WEEKLY", default: 4, range: 0...100_000)
        keepMonthly = try env.integer("BACKUP_KEEP_MONTHLY", default: 6, range: 0...100_000)
        rcloneRemoteName = env.string("RCLONE_REMOTE_NAME")
        rcloneRemotePath = env.string("RCLONE_REMOTE_PATH")
        rcloneConfig = env.string("RCLONE_CONFIG")
        offsiteRequireEncryption = try env.bool("OFFSITE_REQUIRE_ENCRYPTION", default: false)
        if (rcloneRemoteName == nil) != (rcloneRemotePath == nil) {
            let missing = rcloneRemoteName == nil ? "RCLONE_REMOTE_NAME" : "RCLONE_REMOTE_PATH"
            throw ConfigurationError(variable: missing, problem: "is not set; offsite copies need both RCLONE_REMOTE_NAME and RCLONE_REMOTE_PATH (or neither)")
        }
        healthMaxBackupAge = env.raw(["HEALTH_MAX_BACKUP_AGE"]) == nil ? nil : try env.duration("HEALTH_MAX_BACKUP_AGE", default: 0)
        lockWaitSeconds = try env.duration("BACKUP_LOCK_WAIT", default: 600)
        guard lockWaitSeconds >= 1 else {
            throw ConfigurationError(variable: "BACKUP_LOCK_WAIT", problem: "must be at least 1 second, such as 30s or 10m")
        }
        maxStandbyLagSeconds = try env.duration("BACKUP_MAX_STANDBY_LAG", default: 300)
        restoreJobs = try env.integer("RESTORE_JOBS", default: min(8, ProcessInfo.processInfo.activeProcessorCount), range: 1...16)
        log = try LogSettings(environment: env)
    }
}
