import Backups
import Foundation
import LaterbaseCore
import UndoWindow

/// `/restore-at?db=…[&project=…][&at=…]`: restore a library as it was at a moment of the undo
/// window into a NEW library. Shows the window, refuses times outside it with the reason (the
/// same form again), and offers moments to pick: "just before now" and, from a project search,
/// the times the project was saved as the hourly backups' catalogs saw them.
struct RestoreAtPage: ConsoleView {
    static let template = "restore-at"

    struct Moment: Sendable {
        let text: String
        let link: String
        let note: String
    }

    let problem: String?
    let database: String
    /// Nil when there is no undo window (then there is no form).
    let window: String?
    let off: String?
    let value: String
    let suggested: String
    let zoneName: String
    let target: String
    let project: String?
    let moments: [Moment]
    let hasMoments: Bool

    init(database: String, project: String?, value: String?, suggested: String?, problem: String?, window: UndoWindow?,
         backups: [StoredBackup], target: String, zone: TimeZone, now: Date) {
        self.problem = problem
        self.database = database
        self.project = project
        self.target = target
        zoneName = PageFormat.zoneName(zone)
        let link = { (time: Date) in
            "/restore-at?db=\(PageFormat.query(database))" + (project.map { "&project=\(PageFormat.query($0))" } ?? "")
                + "&at=\(PageFormat.query(Self.text(time, zone: zone)))"
        }
        guard let window, let oldest = window.oldest, let newest = window.newest else {
            self.window = nil
            off = "There is no undo window to restore from: it needs WAL_ARCHIVE=on and a first base backup (docs/undo-window.md). Restore one of the hourly backups instead."
            self.value = value ?? ""
            self.suggested = suggested ?? ""
            moments = []
            hasMoments = false
            return
        }
        off = nil
        self.window = "\(PageFormat.time(oldest, zone: zone)) – \(PageFormat.time(newest, zone: zone))" + (window.missing.isEmpty ? "" : " (with a gap: \(window.summary))")
        let justBefore = max(oldest, min(newest, now).addingTimeInterval(-5))
        var moments = [Moment(text: Self.text(justBefore, zone: zone), link: link(justBefore), note: "just before now")]
        if let project {
            // The saved times the hourly catalogs recorded for the project, within the window, newest first.
            let matcher = ProjectMatcher(project)
            var saved = Set<Date>()
            for backup in backups where backup.database == database {
                for found in matcher.select(backup.manifest?.resolve.projects ?? [], name: \.name) {
                    if let time = found.lastModified, time >= oldest, time <= newest { saved.insert(time) }
                }
            }
            moments += saved.sorted(by: >).prefix(10).map { Moment(text: Self.text($0, zone: zone), link: link($0), note: "“\(project)” saved") }
        }
        self.moments = moments
        hasMoments = true
        self.value = value ?? moments[0].text
        self.suggested = suggested ?? Self.suggestedName(database)
    }

    /// `2026-11-24 14:34:59` in the agent's TZ: what the field takes.
    static func text(_ date: Date, zone: TimeZone) -> String {
        let formatter = UTCFormat.formatter("yyyy-MM-dd HH:mm:ss")
        formatter.timeZone = zone
        return formatter.string(from: date)
    }

    /// `Demo Library at 20261124_1434`, under 63 bytes (the minute it was suggested).
    static func suggestedName(_ database: String, now: Date = Date()) -> String {
        PageFormat.libraryName(database, " at " + UTCFormat.formatter("yyyyMMdd_HHmm").string(from: now))
    }
}
