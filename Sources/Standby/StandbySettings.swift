import LaterbaseCore

/// Configuration of `standby-entrypoint`, read from the environment only.
public struct StandbySettings: Sendable {
    public enum Reclone: String, Sendable { case never, auto }

    public var primary: PrimarySettings
    /// The standby's data directory (`PGDATA`).
    public var dataDirectory: String
    public var slotName: String
    public var createSlot: Bool
    /// The standby's own port (`PGPORT`).
    public var localPort: Int
    /// Who may connect to the standby (`STANDBY_ACCESS_SUBNETS`, also the old
    /// `PGADMIN_ACCESS_SUBNET` and `PG_REALWORLD_SUBNET`).
    public var accessSubnets: [CIDRSubnet]
    public var reclone: Reclone
    public var healthMaxLagSeconds: Int
    public var log: LogSettings

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        primary = try PrimarySettings(environment: env)
        dataDirectory = env.string("PGDATA", default: "/var/lib/postgresql/data")!
        guard dataDirectory.hasPrefix("/") else {
            throw ConfigurationError(variable: "PGDATA", problem: "must be an absolute path, got \"\(dataDirectory)\"")
        }
        slotName = env.string("REPLICATION_SLOT", default: "laterbase_standby_slot")!
        guard PostgresConnection.isValidSlotName(slotName) else {
            throw ConfigurationError(variable: "REPLICATION_SLOT", problem: "must be 1-63 lower-case letters, digits or underscores, got \"\(slotName)\"")
        }
        createSlot = try env.bool("CREATE_SLOT", default: true)
        localPort = try env.port("PGPORT", default: 5432)
        accessSubnets = try env.subnets("STANDBY_ACCESS_SUBNETS", aliases: ["PGADMIN_ACCESS_SUBNET", "PG_REALWORLD_SUBNET"])
        reclone = Reclone(rawValue: try env.choice("STANDBY_RECLONE", ["never", "auto"], default: "never"))!
        healthMaxLagSeconds = try env.duration("HEALTH_MAX_LAG_SECONDS", default: 300)
        log = try LogSettings(environment: env)
    }
}
