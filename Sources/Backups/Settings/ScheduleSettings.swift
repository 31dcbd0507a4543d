import Foundation
import LaterbaseCore

/// The parsed `BACKUP_SCHEDULE` and the zone (`TZ`) it is read in.
public struct ScheduleSettings: Sendable {
    public let schedule: CronSchedule
    public let zone: TimeZone

    public init(settings: BackupSettings, environment env: EnvironmentReader) throws(ConfigurationError) {
        do {
            schedule = try CronSchedule(settings.schedule)
        } catch {
            throw ConfigurationError(variable: "BACKUP_SCHEDULE", problem: "is invalid: \(error.description)")
        }
        if let name = env.string("TZ") {
            let identifier = name.hasPrefix(":") ? String(name.dropFirst()) : name
            guard let zone = TimeZone(identifier: identifier) else {
                throw ConfigurationError(variable: "TZ", problem: "must be a time zone name such as Europe/Berlin or UTC, got \"\(name)\"")
            }
            self.zone = zone
        } else {
            zone = TimeZone.current
        }
        guard schedule.next(after: Date(), in: zone) != nil else {
            throw ConfigurationError(variable: "BACKUP_SCHEDULE", problem: "\"\(settings.schedule)\" never fires; fix the expression")
        }
    }
}
