import Foundation
import LaterbaseCore

/// The parsed `BACKUP_SCHEDULE`, `VERIFY_SCHEDULE` and the zone (`TZ`) they are read in.
public struct ScheduleSettings: Sendable {
    public let schedule: CronSchedule
    /// When the agent re-reads every kept backup (`verify --all`): `VERIFY_SCHEDULE`, default @daily.
    public let verifySchedule: CronSchedule
    /// When the agent runs a disaster drill from the remote (`DRILL_SCHEDULE`, default Sundays at
    /// 04:00; `off`: never). Only with offsite copies on.
    public let drillSchedule: CronSchedule?
    public let zone: TimeZone

    public init(settings: BackupSettings, environment env: EnvironmentReader) throws(ConfigurationError) {
        do {
            schedule = try CronSchedule(settings.schedule)
        } catch {
            throw ConfigurationError(variable: "BACKUP_SCHEDULE", problem: "is invalid: \(error.description)")
        }
        let verify = env.string("VERIFY_SCHEDULE", default: "@daily")!
        do {
            verifySchedule = try CronSchedule(verify)
        } catch {
            throw ConfigurationError(variable: "VERIFY_SCHEDULE", problem: "is invalid: \(error.description)")
        }
        let drill = env.string("DRILL_SCHEDULE", default: "0 4 * * 0")!
        if ["off", "false", "no", "never", ""].contains(drill.lowercased()) {
            drillSchedule = nil
        } else {
            do {
                drillSchedule = try CronSchedule(drill)
            } catch {
                throw ConfigurationError(variable: "DRILL_SCHEDULE", problem: "is invalid: \(error.description) (or off)")
            }
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
        guard verifySchedule.next(after: Date(), in: zone) != nil else {
            throw ConfigurationError(variable: "VERIFY_SCHEDULE", problem: "\"\(verify)\" never fires; fix the expression")
        }
    }
}
