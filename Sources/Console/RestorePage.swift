import Backups
import Foundation
import LaterbaseCore

/// `/restore?file=…` (the form) and `/jobs` (the running or last restore, with progress).
enum RestorePage {
    static func form(_ backup: StoredBackup, suggested: String, problem: String?, session: ConsoleSessions.Session?,
                     target: String, zone: TimeZone) -> String {
        var html = ""
        if let problem { html += #"<p class="box bad">\#(HTMLPage.escape(problem))</p>"# }
        let projects = backup.manifest?.resolve.projects.map(\.name).sorted() ?? []
        html += #"<div class="box">Backup of <strong>\#(HTMLPage.escape(backup.database))</strong> taken \#(HTMLPage.time(backup.time, zone: zone)), \#(HTMLPage.bytes(backup.size)), \#(projects.count) projects"#
        if !projects.isEmpty { html += ": " + projects.prefix(20).map(HTMLPage.escape).joined(separator: ", ") + (projects.count > 20 ? ", …" : "") }
        html += "</div>"
        html += """
            <form method="post" action="/restore">\(HTMLPage.csrfField(session))
            <input type="hidden" name="file" value="\(HTMLPage.escape(backup.relativePath))">
            <p><label>Restore as the NEW library <input type="text" name="as" value="\(HTMLPage.escape(suggested))" required maxlength="63"></label></p>
            <p class="muted">On \(HTMLPage.escape(target)). Restore never writes into an existing library: a name that exists is refused.
            The live library is not touched.</p>
            <button>Start the restore</button></form>
            """
        return html
    }

    static func job(_ job: ConsoleRestoreJobs.Job?, session: ConsoleSessions.Session?, zone: TimeZone, now: Date) -> String {
        guard let job else { return #"<p class="muted">No restore has run since the agent started. Start one from a library's backups or from a project search.</p>"# }
        var html = #"<div class="box"><p>\#(HTMLPage.escape(job.backup.relativePath)) → new library <strong>\#(HTMLPage.escape(job.newDatabase))</strong> on \#(HTMLPage.escape(job.target.host + ":" + String(job.target.port))), started \#(HTMLPage.time(job.startedAt, zone: zone))</p>"#
        let fed = job.fedBytes
        if let total = job.totalBytes, total > 0 {
            let percent = min(100, Double(fed) * 100 / Double(total))
            html += #"<progress max="\#(total)" value="\#(min(fed, total))"></progress><p>\#(HTMLPage.bytes(fed)) of \#(HTMLPage.bytes(total)) of SQL fed (\#(String(format: "%.0f", percent)) %)</p>"#
        } else {
            html += "<p>\(HTMLPage.bytes(fed)) of SQL fed</p>"
        }
        let elapsed = (job.finishedAt ?? now).timeIntervalSince(job.startedAt)
        switch job.outcome {
        case .running:
            html += #"<p>Running for \#(HTMLPage.age(elapsed)); this page reloads every 2 s. Closing it does not stop the restore.</p>"#
            html += #"<form method="post" action="/jobs/cancel">\#(HTMLPage.csrfField(session))<button>Cancel the restore</button></form>"#
        case .succeeded:
            html += #"<p class="ok" id="outcome">Restored in \#(HTMLPage.age(elapsed)).</p>"#
            html += "<p>To open it in DaVinci Resolve: Project Manager → Project Libraries → Add Project Library → Connect, then the server "
            html += "\(HTMLPage.escape(job.target.host)), the user \(HTMLPage.escape(job.target.user)) and the database name “\(HTMLPage.escape(job.newDatabase))”.</p>"
        case .failed(let reason):
            html += #"<p class="bad" id="outcome">Failed: \#(HTMLPage.escape(reason))</p>"#
        case .cancelled:
            html += #"<p class="bad" id="outcome">Cancelled; the new library was removed again.</p>"#
        }
        return html + "</div>"
    }

    /// `Demo Library restored 20261124_1434`: a name that tells what it is, under 63 bytes.
    static func suggestedName(_ backup: StoredBackup) -> String {
        let stamp = UTCFormat.formatter("yyyyMMdd_HHmm").string(from: backup.time)
        var base = backup.database
        while (base + " restored " + stamp).utf8.count > 63 { base.removeLast() }
        return base + " restored " + stamp
    }
}
