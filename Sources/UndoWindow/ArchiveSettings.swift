import LaterbaseCore

/// The undo window's settings (`WAL_ARCHIVE`, `WAL_SLOT`, `BASE_BACKUP_SCHEDULE`, `BASE_BACKUP_AFTER_WAL`, `WAL_KEEP_DAYS`),
/// read with the rest of the agent's configuration; a bad value is one line and exit status 78.
public struct ArchiveSettings: Sendable {
    /// `WAL_ARCHIVE=on`: `backup-agent run` streams WAL and takes base backups.
    public var enabled: Bool
    /// The physical slot `pg_receivewal` reads through (`WAL_SLOT`, default laterbase_wal_slot).
    public var slot: String
    /// When base backups are taken (`BASE_BACKUP_SCHEDULE`, default @weekly, in `TZ`).
    public var baseSchedule: CronSchedule
    /// A base backup also once this much WAL followed the newest one (`BASE_BACKUP_AFTER_WAL`, default auto).
    public var baseAfterWal: BaseBackupAfterWal
    /// Base backups younger than this many days are kept, with the WAL they need (`WAL_KEEP_DAYS`).
    public var keepDays: Int
    /// How far the offsite copy of the undo window may fall behind the local one before health
    /// turns unhealthy (`OFFSITE_MAX_WAL_LAG`, default 15 minutes, in seconds). The WAL goes
    /// offsite every tenth of it (at most every minute), the receiver's `.partial` at most every third.
    public var offsiteMaxWalLag: Int

    public init(enabled: Bool = false, slot: String = "laterbase_wal_slot", baseSchedule: CronSchedule, baseAfterWal: BaseBackupAfterWal = .auto, keepDays: Int = 7,
                offsiteMaxWalLag: Int = 900) {
        self.enabled = enabled
        self.slot = slot
        self.baseSchedule = baseSchedule
        self.baseAfterWal = baseAfterWal
        self.keepDays = keepDays
        self.offsiteMaxWalLag = offsiteMaxWalLag
    }

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        enabled = try env.bool("WAL_ARCHIVE", default: false)
        slot = env.string("WAL_SLOT", default: "laterbase_wal_slot")!
        guard PostgresConnection.isValidSlotName(slot) else {
            throw ConfigurationError(variable: "WAL_SLOT", problem: "must be lower-case letters, digits and underscores (at most 63), got \"\(slot)\"")
        }
        let expression = env.string("BASE_BACKUP_SCHEDULE", default: "@weekly")!
        do {
            baseSchedule = try CronSchedule(expression)
        } catch {
            throw ConfigurationError(variable: "BASE_BACKUP_SCHEDULE", problem: "is invalid: \(error.description)")
        }
        baseAfterWal = try BaseBackupAfterWal(parsing: env.string("BASE_BACKUP_AFTER_WAL", default: "auto")!)
        keepDays = try env.integer("WAL_KEEP_DAYS", default: 7, range: 1...36_500)
        offsiteMaxWalLag = try env.duration("OFFSITE_MAX_WAL_LAG", default: 900)
        guard offsiteMaxWalLag >= 10 else {
            throw ConfigurationError(variable: "OFFSITE_MAX_WAL_LAG", problem: "must be at least 10s, got \(offsiteMaxWalLag)s")
        }
    }
}
