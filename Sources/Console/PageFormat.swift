import Foundation
import LaterbaseCore

/// How values read on the console's pages: plain text for a view model, which its template
/// escapes (mustache's `{{ }}`); nothing here writes HTML.
enum PageFormat {
    /// `?a=b` query values: only letters and digits stay, so the text is safe in a link as it is.
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// `base` + `suffix` as a new library's name: `base` shortened until the name fits
    /// PostgreSQL's 63 bytes (the suffix says what the library is, so it stays whole).
    static func libraryName(_ base: String, _ suffix: String) -> String {
        var base = base
        while (base + suffix).utf8.count > 63 { base.removeLast() }
        return base + suffix
    }

    /// The zone's name as an engineer who set `TZ` reads it: `UTC` (not Foundation's `GMT`), `Europe/Berlin`.
    static func zoneName(_ zone: TimeZone) -> String {
        zone.secondsFromGMT() == 0 && ["UTC", "GMT", "Etc/UTC"].contains(zone.identifier) ? "UTC" : zone.identifier
    }

    /// `2026-11-24 14:34:59 CET`, in the agent's `TZ`; "—" for none.
    static func time(_ date: Date?, zone: TimeZone) -> String {
        guard let date else { return "—" }
        // Foundation names UTC "GMT"; an engineer who set TZ=UTC should read UTC.
        let formatter = UTCFormat.formatter(zoneName(zone) == "UTC" ? "yyyy-MM-dd HH:mm:ss 'UTC'" : "yyyy-MM-dd HH:mm:ss zzz")
        formatter.timeZone = zone
        return formatter.string(from: date)
    }

    /// "42 s", "17 min", "3 h 5 min", "2 d 4 h".
    static func age(_ seconds: TimeInterval) -> String {
        let s = Int(max(0, seconds))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86400) d \(s % 86400 / 3600) h"
    }

    /// `30.9 MB`; `0 bytes` (Foundation would say "Zero KB").
    static func bytes(_ count: Int64) -> String {
        count == 0 ? "0 bytes" : ByteCountFormatter.string(fromByteCount: count, countStyle: .decimal)
    }
}

/// A word with its look: `<span class="{{style}}">{{text}}</span>` in a template, `style` one
/// of the layout's classes (`ok`, `bad`, `muted`).
struct Mark: Sendable {
    let style: String
    let text: String

    static func ok(_ text: String) -> Mark { Mark(style: "ok", text: text) }
    static func bad(_ text: String) -> Mark { Mark(style: "bad", text: text) }
    static func muted(_ text: String) -> Mark { Mark(style: "muted", text: text) }
}
