@testable import Backups
import Foundation
import LaterbaseTestSupport
import Testing

@Suite("Retention policy")
struct RetentionPolicyTests {
    static let utc = TimeZone(identifier: "UTC")!
    static func at(_ text: String, _ zone: TimeZone = utc) -> Date { TestClock.date(text, zone) }
    static func item(_ text: String, complete: Bool = true, _ zone: TimeZone = utc) -> RetentionPolicy.Item {
        RetentionPolicy.Item(name: text, time: at(text, zone), complete: complete)
    }
    static func kept(_ policy: RetentionPolicy, _ items: [RetentionPolicy.Item], now: String, zone: TimeZone = utc) -> [String] {
        policy.apply(to: items, now: at(now, zone), zone: zone).filter(\.keep).map(\.item.name)
    }

    /// Hourly backups every hour for `days` days up to `end`.
    static func hourlySeries(end: String, hours: Int) -> [RetentionPolicy.Item] {
        let last = at(end)
        return (0..<hours).map { offset in
            let time = last.addingTimeInterval(-Double(offset) * 3600)
            return RetentionPolicy.Item(name: TestClock.text(time), time: time)
        }
    }

    @Test("table of cases", arguments: [
        // (policy hourly/daily/weekly/monthly/days, backups, now, expected kept names)
        ("single backup is always kept", RetentionPolicy(hourly: 0, daily: 0, weekly: 0, monthly: 0),
         ["2020-01-01 00:00:00"], "2026-11-24 12:00:00", ["2020-01-01 00:00:00"]),
        ("two in one hour: the newer fills the hour", RetentionPolicy(hourly: 2, daily: 0, weekly: 0, monthly: 0),
         ["2026-11-24 11:10:00", "2026-11-24 11:40:00", "2026-11-24 10:05:00", "2026-11-24 09:59:00"], "2026-11-24 11:50:00",
         ["2026-11-24 11:40:00", "2026-11-24 10:05:00"]),
        ("hour boundary: 10:59:59 and 11:00:00 are different hours", RetentionPolicy(hourly: 2, daily: 0, weekly: 0, monthly: 0),
         ["2026-11-24 10:59:59", "2026-11-24 11:00:00"], "2026-11-24 11:30:00", ["2026-11-24 11:00:00", "2026-11-24 10:59:59"]),
        ("daily keeps the newest of each of the last 3 days", RetentionPolicy(hourly: 0, daily: 3, weekly: 0, monthly: 0),
         ["2026-11-24 01:00:00", "2026-11-23 23:00:00", "2026-11-23 01:00:00", "2026-11-22 12:00:00", "2026-11-21 23:59:59"],
         "2026-11-24 08:00:00", ["2026-11-24 01:00:00", "2026-11-23 23:00:00", "2026-11-22 12:00:00"]),
        ("ISO weeks start on Monday", RetentionPolicy(hourly: 0, daily: 0, weekly: 2, monthly: 0),
         ["2026-11-23 00:30:00", "2026-11-22 23:30:00", "2026-11-16 00:00:00", "2026-11-15 12:00:00"],
         "2026-11-24 08:00:00", ["2026-11-23 00:30:00", "2026-11-22 23:30:00"]),
        ("months", RetentionPolicy(hourly: 0, daily: 0, weekly: 0, monthly: 2),
         ["2026-11-01 00:00:00", "2026-10-31 23:00:00", "2026-10-01 00:00:00", "2026-09-30 23:00:00"],
         "2026-11-24 08:00:00", ["2026-11-01 00:00:00", "2026-10-31 23:00:00"]),
        ("a gap of days: daily keeps only what falls in its window, monthly the rest", RetentionPolicy(hourly: 24, daily: 7, weekly: 0, monthly: 6),
         ["2026-11-24 10:00:00", "2026-11-10 10:00:00", "2026-11-09 10:00:00", "2026-10-20 10:00:00", "2026-10-02 10:00:00"],
         "2026-11-24 10:30:00", ["2026-11-24 10:00:00", "2026-10-20 10:00:00"]),
        ("the age rule keeps everything younger", RetentionPolicy(hourly: 0, daily: 0, weekly: 0, monthly: 0, retentionDays: 2),
         ["2026-11-24 10:00:00", "2026-11-23 09:00:00", "2026-11-22 11:00:00", "2026-11-22 09:00:00"],
         "2026-11-24 10:30:00", ["2026-11-24 10:00:00", "2026-11-23 09:00:00", "2026-11-22 11:00:00"]),
    ])
    func table(_ name: String, policy: RetentionPolicy, times: [String], now: String, expected: [String]) {
        #expect(Self.kept(policy, times.map { Self.item($0) }, now: now) == expected, "\(name)")
    }

    @Test("a backup without a manifest is never removed, fills no period and never counts as the newest")
    func incomplete() {
        let items = [Self.item("2026-11-24 11:30:00", complete: false), Self.item("2026-11-24 11:10:00"),
                     Self.item("2026-11-24 09:00:00"), Self.item("2020-01-01 00:00:00", complete: false)]
        let decisions = RetentionPolicy(hourly: 1, daily: 0, weekly: 0, monthly: 0).apply(to: items, now: Self.at("2026-11-24 11:45:00"), zone: Self.utc)
        #expect(decisions.map(\.keep) == [true, true, false, true])
        #expect(decisions[0].keptBy == ["no manifest: never removed automatically"])
        #expect(decisions[1].keptBy == ["newest", "hourly 2026-11-24 11:00"])
    }

    @Test("ten days of hourly backups under the defaults")
    func defaults() {
        // Hourly from 2026-11-14 12:00 to 2026-11-24 11:00 UTC; now is 11:05 on the 24th.
        let items = Self.hourlySeries(end: "2026-11-24 11:00:00", hours: 24 * 10)
        let kept = RetentionPolicy().apply(to: items, now: Self.at("2026-11-24 11:05:00"), zone: Self.utc).filter(\.keep)
        let names = Set(kept.map(\.item.name))
        // 24 hourly: 2026-11-23 12:00 … 2026-11-24 11:00.
        #expect(names.contains("2026-11-23 12:00 GMT") && !names.contains("2026-11-23 11:00 GMT"))
        // Daily, 7 days 18th-24th: the newest of the 18th-22nd are new (23:00 each).
        for day in 18...22 { #expect(names.contains("2026-11-\(day) 23:00 GMT")) }
        #expect(!names.contains("2026-11-17 23:00 GMT") && !names.contains("2026-11-16 23:00 GMT"))
        // Weekly, 4 ISO weeks: week 46 (9th-15th) contributes the 15th 23:00; week 47's newest is the 22nd.
        #expect(names.contains("2026-11-15 23:00 GMT"))
        // Monthly: November's newest is the current backup; earlier months have none.
        #expect(kept.count == 24 + 5 + 1)
        #expect(kept.first { $0.item.name == "2026-11-24 11:00 GMT" }?.keptBy == ["newest", "hourly 2026-11-24 11:00", "daily 2026-11-24", "weekly 2026-W48", "monthly 2026-11"])
    }

    @Test("DST: daily periods follow local midnight across the change")
    func dst() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let items = ["2026-03-28 23:30:00", "2026-03-29 00:30:00", "2026-03-29 03:30:00", "2026-03-30 00:10:00"].map { Self.item($0, berlin) }
        let kept = RetentionPolicy(hourly: 0, daily: 3, weekly: 0, monthly: 0)
            .apply(to: items, now: Self.at("2026-03-30 09:00:00", berlin), zone: berlin).filter(\.keep).map(\.item.name)
        #expect(kept == ["2026-03-30 00:10:00", "2026-03-29 03:30:00", "2026-03-28 23:30:00"])
    }
}
