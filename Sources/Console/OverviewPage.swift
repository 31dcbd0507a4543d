import Backups
import Foundation

/// `/`: each library's newest backup, the health line, the standby as the primary sees it, the
/// undo window. Reloads itself every 30 seconds.
enum OverviewPage {
    static func body(libraries: [LibraryStatus], health: Result<BackupHealth.Verdict, ConsoleProblem>,
                     replication: Result<ReplicationStatus, ConsoleProblem>, undoWindow: String?,
                     zone: TimeZone, now: Date) -> String {
        var html = ""
        switch health {
        case .success(let verdict):
            // The verdict's message starts with "healthy: " / "unhealthy: " itself (the healthcheck's line).
            html += #"<p class="box \#(verdict.healthy ? "ok" : "bad")">\#(HTMLPage.escape(verdict.message.prefix(1).uppercased() + verdict.message.dropFirst()))</p>"#
        case .failure(let problem):
            html += #"<p class="box bad">Unhealthy: \#(HTMLPage.escape(problem.description))</p>"#
        }
        html += "<h2>Libraries</h2>"
        if libraries.isEmpty {
            html += #"<p class="muted">No backups yet.</p>"#
        } else {
            html += "<table><tr><th>Library</th><th>Newest backup</th><th>Age</th><th>Size</th><th>Projects</th><th>Offsite</th><th>Last pass</th></tr>"
            for library in libraries {
                let newest = library.newest
                let link = "/backups?db=" + HTMLPage.query(library.database)
                let offsite = library.newestUploaded.map { $0 ? #"<span class="ok">copied</span>"# : #"<span class="bad">local only</span>"# } ?? #"<span class="muted">off</span>"#
                let pass = library.lastError.map { #"<span class="bad">failed: \#(HTMLPage.escape($0))</span>"# } ?? #"<span class="ok">ok</span>"#
                html += "<tr><td><a href=\"\(link)\">\(HTMLPage.escape(library.database))</a> <span class=\"muted\">(\(library.backupCount))</span></td>"
                html += "<td>\(HTMLPage.time(newest?.time, zone: zone))</td><td>\(newest.map { HTMLPage.age(now.timeIntervalSince($0.time)) } ?? "—")</td>"
                html += "<td>\(newest.map { HTMLPage.bytes($0.size) } ?? "—")</td><td>\(newest?.manifest.map { String($0.resolve.projects.count) } ?? "—")</td>"
                html += "<td>\(offsite)</td><td>\(pass)</td></tr>"
            }
            html += "</table>"
        }
        html += "<h2>Standby and slots (as the primary reports them)</h2>"
        switch replication {
        case .failure(let problem):
            html += #"<p class="bad">\#(HTMLPage.escape(problem.description))</p>"#
        case .success(let status):
            if status.senders.isEmpty {
                html += #"<p class="bad">No standby or WAL receiver is connected to the primary.</p>"#
            } else {
                html += "<table><tr><th>Connection</th><th>Role</th><th>From</th><th>State</th><th>Replay lag</th></tr>"
                for sender in status.senders {
                    let bytes = sender.replayLagBytes.map(HTMLPage.bytes) ?? "—"
                    html += "<tr><td>\(HTMLPage.escape(sender.application))</td><td>\(HTMLPage.escape(sender.role))</td><td>\(HTMLPage.escape(sender.client))</td><td>\(HTMLPage.escape(sender.state))</td>"
                    html += "<td>\(bytes), \(String(format: "%.1f", sender.replayLagSeconds)) s</td></tr>"
                }
                html += "</table>"
            }
            if !status.slots.isEmpty {
                html += "<table><tr><th>Slot</th><th>Active</th><th>WAL held on the primary</th><th>wal_status</th><th>Room before it is lost</th></tr>"
                for slot in status.slots {
                    let safe = slot.safeWalSize.map(HTMLPage.bytes) ?? "unlimited"
                    html += "<tr><td>\(HTMLPage.escape(slot.name))</td><td class=\"\(slot.active ? "ok" : "bad")\">\(slot.active ? "yes" : "no")</td>"
                    html += "<td>\(slot.retainedBytes.map(HTMLPage.bytes) ?? "—")</td><td>\(HTMLPage.escape(slot.walStatus))</td><td>\(safe)</td></tr>"
                }
                html += "</table>"
            }
        }
        if let undoWindow {
            html += "<h2>Undo window</h2><pre class=\"box\">\(HTMLPage.escape(undoWindow))</pre>"
        }
        html += #"<p class="muted">Updated \#(HTMLPage.time(now, zone: zone)); this page reloads every 30 s.</p>"#
        return html
    }
}
