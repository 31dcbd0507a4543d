import Foundation

/// Grandfather-father-son retention as a pure function over backup times.
///
/// Calendar windows in the schedule's time zone, counting the current period: keep the newest
/// backup of each hour of the last `hourly` hours, of each day of the last `daily` days, of each
/// ISO week of the last `weekly` weeks, of each month of the last `monthly` months; and
/// everything younger than `retentionDays` days (the original `BACKUP_RETENTION_DAYS`). The
/// newest complete backup is always kept. A backup without a readable manifest (made by the old
/// backup script, by a newer Laterbase, or cut short between file and manifest) fills no period
/// and is never removed: what cannot be classified is not deleted. Neither is a damaged backup
/// (its file no longer matches its manifest): it fills no period, is not the newest, and so is
/// never the reason an intact backup goes; it stays for people to look at.
public struct RetentionPolicy: Sendable, Equatable {
    public var hourly: Int
    public var daily: Int
    public var weekly: Int
    public var monthly: Int
    public var retentionDays: Int

    public init(hourly: Int = 24, daily: Int = 7, weekly: Int = 4, monthly: Int = 6, retentionDays: Int = 0) {
        self.hourly = hourly
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
        self.retentionDays = retentionDays
    }

    public init(settings: BackupSettings) {
        self.init(hourly: settings.keepHourly, daily: settings.keepDaily, weekly: settings.keepWeekly,
                  monthly: settings.keepMonthly, retentionDays: settings.retentionDays)
    }

    /// One backup of one database as the policy sees it.
    public struct Item: Sendable, Equatable {
        public let name: String
        public let time: Date
        /// It has a readable manifest (a finished, described backup).
        public let complete: Bool
        /// Why its file no longer matches its manifest; nil when it is intact or not checked.
        public let damage: String?
        public init(name: String, time: Date, complete: Bool = true, damage: String? = nil) {
            self.name = name
            self.time = time
            self.complete = complete
            self.damage = damage
        }

        /// It can stand for its period: described by a manifest and not known to be damaged.
        public var counts: Bool { complete && damage == nil }
    }

    /// What happens to one backup, and why.
    public struct Decision: Sendable, Equatable {
        public let item: Item
        /// The rules that keep it (`hourly 2026-11-24 15:00`, `newest`, …); empty means it goes.
        public let keptBy: [String]
        public var keep: Bool { !keptBy.isEmpty }
    }

    /// Decides for every backup of one database. Order of the result: newest first.
    public func apply(to items: [Item], now: Date, zone: TimeZone) -> [Decision] {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        let sorted = items.sorted { $0.time > $1.time }
        var reasons: [String: [String]] = [:]
        func keep(_ item: Item, _ reason: String) { reasons[item.name, default: []].append(reason) }

        if let newest = sorted.first(where: \.counts) { keep(newest, "newest") }
        for item in sorted where !item.complete { keep(item, "no manifest: never removed automatically") }
        for item in sorted where item.complete {
            if let damage = item.damage { keep(item, "damaged (\(damage)): not counted, never removed automatically") }
        }
        if retentionDays > 0 {
            let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
            for item in sorted where item.time >= cutoff { keep(item, "younger than \(retentionDays) days") }
        }
        let rules: [(String, Int, Calendar.Component, (Date) -> String)] = [
            ("hourly", hourly, .hour, { Self.label($0, "yyyy-MM-dd HH:00", zone) }),
            ("daily", daily, .day, { Self.label($0, "yyyy-MM-dd", zone) }),
            ("weekly", weekly, .weekOfYear, { Self.isoWeek($0, calendar) }),
            ("monthly", monthly, .month, { Self.label($0, "yyyy-MM", zone) }),
        ]
        for (name, count, component, label) in rules where count > 0 {
            guard let currentStart = calendar.dateInterval(of: component, for: now)?.start,
                  let windowStart = calendar.date(byAdding: component, value: -(count - 1), to: currentStart) else { continue }
            var filled: Set<Date> = []
            for item in sorted where item.counts && item.time >= windowStart {
                guard let period = calendar.dateInterval(of: component, for: item.time)?.start,
                      filled.insert(period).inserted else { continue }
                keep(item, "\(name) \(label(item.time))")
            }
        }
        return sorted.map { Decision(item: $0, keptBy: reasons[$0.name] ?? []) }
    }

    static func label(_ date: Date, _ format: String, _ zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    static func isoWeek(_ date: Date, _ calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return String(format: "%04d-W%02d", parts.yearForWeekOfYear ?? 0, parts.weekOfYear ?? 0)
    }
}
