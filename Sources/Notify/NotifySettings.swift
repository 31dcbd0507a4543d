import Foundation
import LaterbaseCore

/// Who is told when something fails (`NOTIFY_URLS`, `NOTIFY_REPEAT`) and the outside monitor
/// that expects a ping from every pass (`PING_URL`). Both hold secrets (tokens, passwords in
/// URLs) and accept `_FILE`; neither is ever logged.
public struct NotifySettings: Sendable {
    /// Apprise URLs, separated by commas or blanks as Apprise itself reads them; nil: no notifications.
    public var urls: Secret?
    /// How often a problem that lasts is told again.
    public var repeatSeconds: Int
    /// healthchecks.io-style ping URL; nil: no pings.
    public var pingURL: Secret?
    /// `NOTIFY_DAILY_SUMMARY=08:00`: a daily summary at that time of `TZ`; nil: none.
    public var dailySummary: CronSchedule?
    /// `BACKUP_MIN_FREE_SPACE`: told when `BACKUP_DIR` has less free; nil: room for two more
    /// passes (twice the newest backups of every library).
    public var minFreeBytes: Int64?
    /// `HEALTH_MAX_SLOT_WAL` (default 10G): told when a replication slot on the Resolve server
    /// holds more WAL than this (or its `safe_wal_size` falls below a tenth of it).
    public var maxSlotWalBytes: Int64
    /// `HEALTH_MAX_LAG_SECONDS` (default 300, the standby's own bound): told when a standby
    /// replays further behind the primary.
    public var maxLagSeconds: Int

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        urls = try env.secret("NOTIFY_URLS")
        repeatSeconds = try env.duration("NOTIFY_REPEAT", default: 24 * 3600)
        guard repeatSeconds >= 60 else {
            throw ConfigurationError(variable: "NOTIFY_REPEAT", problem: "must be at least 1m (a problem is told again this often while it lasts), got \(repeatSeconds) s")
        }
        pingURL = try env.secret("PING_URL")
        if let pingURL, PingURL(pingURL) == nil {
            throw ConfigurationError(variable: "PING_URL", problem: "must be an http:// or https:// URL such as https://hc-ping.com/<uuid>")
        }
        dailySummary = try Self.dailySummary(env.string("NOTIFY_DAILY_SUMMARY"))
        minFreeBytes = try env.byteSize("BACKUP_MIN_FREE_SPACE")
        maxSlotWalBytes = try env.byteSize("HEALTH_MAX_SLOT_WAL") ?? 10 << 30
        guard maxSlotWalBytes > 0 else {
            throw ConfigurationError(variable: "HEALTH_MAX_SLOT_WAL", problem: "must be more than 0, such as 10G")
        }
        maxLagSeconds = try env.duration("HEALTH_MAX_LAG_SECONDS", default: 300)
    }

    /// `08:00` (hour and minute of `TZ`) as a daily schedule; `off` or unset: none.
    static func dailySummary(_ text: String?) throws(ConfigurationError) -> CronSchedule? {
        guard let text, !["", "off"].contains(text.lowercased()) else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute), let schedule = try? CronSchedule("\(minute) \(hour) * * *") else {
            throw ConfigurationError(variable: "NOTIFY_DAILY_SUMMARY", problem: "must be a time of day such as 08:00 (24-hour, in TZ) or off, got \"\(text)\"")
        }
        return schedule
    }

    /// The single URLs of ``urls``: separated by blanks, or by commas that start a new URL
    /// (`scheme://`); a comma inside a URL (`mailto://…?to=a@x,b@x`) stays in it.
    public var urlList: [String] {
        guard let text = urls?.reveal() else { return [] }
        return Self.split(text)
    }

    static func split(_ text: String) -> [String] {
        var urls: [String] = []
        for word in text.split(whereSeparator: \.isWhitespace) {
            for part in word.split(separator: ",", omittingEmptySubsequences: true) {
                let startsURL = part.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) != nil
                if startsURL || urls.isEmpty {
                    urls.append(String(part))
                } else {
                    urls[urls.count - 1] += "," + part
                }
            }
        }
        return urls
    }
}
