import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("BACKUP_SCHEDULE parsing and next run")
struct CronScheduleTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    static func date(_ text: String, _ zone: TimeZone = utc) -> Date { TestClock.date(text, zone) }
    static func text(_ date: Date, _ zone: TimeZone = utc) -> String { TestClock.text(date, zone) }

    @Test("next run in UTC", arguments: [
        ("@hourly", "2026-11-24 15:07:12", "2026-11-24 16:00 GMT"),
        ("@hourly", "2026-11-24 15:00:00", "2026-11-24 16:00 GMT"),
        ("@daily", "2026-11-24 15:07:00", "2026-11-25 00:00 GMT"),
        ("@weekly", "2026-11-24 15:07:00", "2026-11-29 00:00 GMT"),
        ("@monthly", "2026-11-24 15:07:00", "2026-12-01 00:00 GMT"),
        ("*/15 * * * *", "2026-11-24 15:07:00", "2026-11-24 15:15 GMT"),
        ("5,35 9-17 * * mon-fri", "2026-11-24 17:40:00", "2026-11-25 09:05 GMT"),
        ("0 3 * * sat", "2026-11-24 17:40:00", "2026-11-28 03:00 GMT"),
        ("0 0 1 jan *", "2026-11-24 17:40:00", "2027-01-01 00:00 GMT"),
        ("0 12 13 * 5", "2026-11-24 00:00:00", "2026-11-27 12:00 GMT"),  // day 13 OR Friday (Vixie rule)
        ("30 23 31 * *", "2026-11-24 00:00:00", "2026-12-31 23:30 GMT"),
        ("0 0 29 2 *", "2026-11-24 00:00:00", "2028-02-29 00:00 GMT"),
        ("0 0 * * 7", "2026-11-24 00:00:00", "2026-11-29 00:00 GMT"),  // 7 is Sunday too
    ])
    func nextUTC(expression: String, after: String, expected: String) throws {
        let schedule = try CronSchedule(expression)
        #expect(schedule.next(after: Self.date(after), in: Self.utc).map { Self.text($0) } == expected)
    }

    @Test("hourly is aligned to the local wall clock, also in zones with half-hour offsets")
    func localAlignment() throws {
        let india = TimeZone(identifier: "Asia/Kolkata")!
        let next = try CronSchedule("@hourly").next(after: Self.date("2026-11-24 10:10:00", india), in: india)!
        #expect(Self.text(next, india) == "2026-11-24 11:00 GMT+5:30")
    }

    @Test("spring forward: a skipped time fires right after the gap; hourly skips nothing that exists")
    func springForward() throws {
        // Europe/Berlin 2026-03-29: 02:00 CET → 03:00 CEST.
        let daily = try CronSchedule("30 2 * * *")
        let fired = daily.next(after: Self.date("2026-03-29 01:00:00", Self.berlin), in: Self.berlin)!
        #expect(Self.text(fired, Self.berlin) == "2026-03-29 03:00 GMT+2")
        let after = daily.next(after: fired, in: Self.berlin)!
        #expect(Self.text(after, Self.berlin) == "2026-03-30 02:30 GMT+2")
        let hourly = try CronSchedule("@hourly")
        let first = hourly.next(after: Self.date("2026-03-29 01:10:00", Self.berlin), in: Self.berlin)!
        #expect(Self.text(first, Self.berlin) == "2026-03-29 03:00 GMT+2")
        #expect(first.timeIntervalSince(Self.date("2026-03-29 01:00:00", Self.berlin)) == 3600)
    }

    @Test("a spring-forward gap at local midnight still fires the daily run; */30 makes up nothing")
    func midnightGap() throws {
        // America/Santiago 2026-09-06: 00:00 does not exist (23:59 → 01:00).
        let santiago = TimeZone(identifier: "America/Santiago")!
        let daily = try CronSchedule("@daily")
        let fired = daily.next(after: Self.date("2026-09-05 12:00:00", santiago), in: santiago)!
        #expect(Self.text(fired, santiago).hasPrefix("2026-09-06 01:00"))
        let berlin = Self.berlin
        let halfHourly = try CronSchedule("30 * * * *")
        let first = halfHourly.next(after: Self.date("2026-03-29 01:40:00", berlin), in: berlin)!
        #expect(Self.text(first, berlin) == "2026-03-29 03:30 GMT+2")
    }

    @Test("fall back: hourly fires in both copies of the repeated hour, a daily job once")
    func fallBack() throws {
        // America/New_York 2026-11-01: 02:00 EDT → 01:00 EST; 01:00-01:59 happens twice.
        let hourly = try CronSchedule("@hourly")
        var t = Self.date("2026-11-01 00:30:00", Self.newYork)
        var fired: [String] = []
        for _ in 0..<4 {
            t = hourly.next(after: t, in: Self.newYork)!
            fired.append(Self.text(t, Self.newYork))
        }
        #expect(fired == ["2026-11-01 01:00 EDT", "2026-11-01 01:00 EST", "2026-11-01 02:00 EST", "2026-11-01 03:00 EST"])
        let daily = try CronSchedule("30 1 * * *")
        let once = daily.next(after: Self.date("2026-11-01 00:00:00", Self.newYork), in: Self.newYork)!
        #expect(Self.text(once, Self.newYork) == "2026-11-01 01:30 EDT")
        let following = daily.next(after: once, in: Self.newYork)!
        #expect(Self.text(following, Self.newYork) == "2026-11-02 01:30 EST")
    }

    @Test("bad expressions are refused with a reason", arguments: [
        ("", "five fields"), ("@often", "five fields"), ("* * * *", "five fields"), ("60 * * * *", "minute \"60\""),
        ("* 24 * * *", "hour \"24\""), ("* * 0 * *", "day of month \"0\""), ("* * * 13 *", "month \"13\""),
        ("*/0 * * * *", "bad step"), ("5-1 * * * *", "runs backwards"), ("* * * * funday", "day of week \"funday\""),
    ])
    func invalid(expression: String, fragment: String) {
        let error = #expect(throws: CronError.self) { try CronSchedule(expression) }
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
    }

    @Test("a schedule that can never fire has no next run")
    func never() throws {
        #expect(try CronSchedule("0 0 30 2 *").next(after: Self.date("2026-01-01 00:00:00"), in: Self.utc) == nil)
    }

    @Test("the interval used for health: hourly 1h, daily 24h, weekdays-only spans the weekend")
    func intervals() throws {
        let start = Self.date("2026-11-24 00:00:00")
        #expect(try CronSchedule("@hourly").longestInterval(after: start, in: Self.utc) == 3600)
        #expect(try CronSchedule("@daily").longestInterval(after: start, in: Self.utc, count: 5) == 86400)
        #expect(try CronSchedule("0 9 * * mon-fri").longestInterval(after: start, in: Self.utc, count: 10) == 3 * 86400)
    }
}
