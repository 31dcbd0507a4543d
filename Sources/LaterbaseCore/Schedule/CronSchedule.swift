import Foundation

/// `BACKUP_SCHEDULE`: `@hourly` (the default), `@daily`, `@weekly`, `@monthly`, `@yearly`, or a
/// 5-field cron expression (`minute hour day-of-month month day-of-week`) with `*`, lists,
/// ranges, steps and three-letter names, read against the wall clock of a time zone (`TZ`).
///
/// As in Vixie cron, when both day fields are restricted a day matching either one counts.
/// Daylight-saving rules: a fixed time skipped by a spring-forward fires at the first minute
/// after the gap (also when the gap spans local midnight); in the repeated hour of a fall-back,
/// an expression whose hour field is `*` fires in both occurrences (hourly stays hourly), any
/// other fires once.
public struct CronSchedule: Sendable, Equatable {
    public let expression: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    let hourWildcard: Bool

    /// Parses `text`; throws a one-line explanation of the first problem.
    public init(_ text: String) throws(CronError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let macros = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
                      "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]
        let fields = (macros[trimmed.lowercased()] ?? trimmed).split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw CronError("\"\(text)\" is not @hourly, @daily, @weekly, @monthly or five fields (minute hour day month weekday)")
        }
        expression = trimmed
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [:])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [:])
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31, names: [:])
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        months = try Self.field(fields[3], name: "month", range: 1...12,
                                names: Dictionary(uniqueKeysWithValues: monthNames.enumerated().map { ($1, $0 + 1) }))
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        let weekdays = try Self.field(fields[4], name: "day of week", range: 0...7,
                                      names: Dictionary(uniqueKeysWithValues: dayNames.enumerated().map { ($1, $0) }))
        daysOfWeek = Set(weekdays.map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        hourWildcard = fields[1] == "*"
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int]) throws(CronError) -> Set<Int> {
        var values = Set<Int>()
        for part in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw CronError("bad \(name) field \"\(text)\"") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw CronError("bad step in \(name) field \"\(text)\"") }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else {
                let ends = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                func value(_ token: Substring) throws(CronError) -> Int {
                    guard let number = Int(token) ?? names[String(token)], range.contains(number) else {
                        throw CronError("\(name) \"\(token)\" is outside \(range.lowerBound)-\(range.upperBound)")
                    }
                    return number
                }
                guard ends.count <= 2 else { throw CronError("bad range in \(name) field \"\(text)\"") }
                let low = try value(ends[0])
                let high = ends.count == 2 ? try value(ends[1]) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw CronError("range \(low)-\(high) in \(name) field runs backwards") }
                bounds = low...high
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    /// Whether a local date (components in the schedule's zone) matches the day fields.
    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let domMatch = daysOfMonth.contains(day)
        let dowMatch = daysOfWeek.contains(weekday)
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return domMatch || dowMatch
        case (true, false): return domMatch
        case (false, true): return dowMatch
        case (false, false): return true
        }
    }

    /// The first firing strictly after `date`, or nil when there is none within five years
    /// (for instance `0 0 30 2 *`).
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // Whole minutes: the first candidate is the minute after `date`.
        var t = Date(timeIntervalSince1970: (floor(date.timeIntervalSince1970 / 60) + 1) * 60)
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while t < limit {
            let local = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            let (month, day, hour, minute) = (local.month!, local.day!, local.hour!, local.minute!)
            let previous = t.addingTimeInterval(-60)
            let offsetNow = zone.secondsFromGMT(for: t)
            let offsetBefore = zone.secondsFromGMT(for: previous)
            if offsetNow > offsetBefore, firesInGap(from: previous, to: t, calendar: calendar) {
                return t  // spring forward: a skipped local time fires at the first minute after the gap
            }
            guard matchesDay(month: month, day: day, weekday: local.weekday! - 1) else {
                t = calendar.nextDate(after: t, matching: DateComponents(hour: 0, minute: 0), matchingPolicy: .nextTime) ?? t.addingTimeInterval(3600)
                continue
            }
            guard hours.contains(hour) else {
                t = calendar.nextDate(after: t, matching: DateComponents(minute: 0), matchingPolicy: .nextTime) ?? t.addingTimeInterval(60)
                continue
            }
            if minutes.contains(minute) {
                let repeated = zone.secondsFromGMT(for: t.addingTimeInterval(-3600)) > offsetNow
                    && calendar.component(.hour, from: t.addingTimeInterval(-3600)) == hour
                if !repeated || hourWildcard { return t }
            }
            t = t.addingTimeInterval(60)
        }
        return nil
    }

    /// Whether a local minute skipped between `previous` and `now` (a spring-forward) matches a
    /// fixed-hour expression. The skipped wall-clock minutes are walked on a naive calendar, so a
    /// gap across local midnight rolls the date over. Expressions with `*` hours make up nothing:
    /// their next firing after the gap comes soon anyway (as in Vixie cron).
    private func firesInGap(from previous: Date, to now: Date, calendar: Calendar) -> Bool {
        guard !hourWildcard else { return false }
        let skipped = (calendar.timeZone.secondsFromGMT(for: now) - calendar.timeZone.secondsFromGMT(for: previous)) / 60
        var naive = Calendar(identifier: .gregorian)
        naive.timeZone = TimeZone(identifier: "UTC")!
        let wall = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: previous)
        guard var minute = naive.date(from: wall) else { return false }
        for _ in 0..<skipped {
            minute.addTimeInterval(60)
            let local = naive.dateComponents([.month, .day, .hour, .minute, .weekday], from: minute)
            if hours.contains(local.hour!) && minutes.contains(local.minute!)
                && matchesDay(month: local.month!, day: local.day!, weekday: local.weekday! - 1) {
                return true
            }
        }
        return false
    }

    /// The longest gap between consecutive firings over the next `count` firings after `date`:
    /// what "the schedule interval" means for health checks.
    public func longestInterval(after date: Date, in zone: TimeZone, count: Int = 50) -> TimeInterval? {
        guard var previous = next(after: date, in: zone) else { return nil }
        var longest: TimeInterval = 0
        for _ in 0..<count {
            guard let following = next(after: previous, in: zone) else { break }
            longest = max(longest, following.timeIntervalSince(previous))
            previous = following
        }
        return longest > 0 ? longest : nil
    }
}

/// A `BACKUP_SCHEDULE` that cannot be parsed.
public struct CronError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
