import Backups
import Foundation

/// `/backups?db=NAME`: a library's backups, newest first, each with verify and restore.
enum BackupsPage {
    static func body(database: String, backups: [StoredBackup], uploaded: (StoredBackup) -> Bool?,
                     session: ConsoleSessions.Session?, zone: TimeZone) -> String {
        guard !backups.isEmpty else { return #"<p class="muted">No backups of \#(HTMLPage.escape(database)).</p>"# }
        var html = "<table><tr><th>Taken</th><th>File</th><th>Size</th><th>Projects</th><th>Offsite</th><th></th></tr>"
        for backup in backups {
            let offsite = uploaded(backup).map { $0 ? "copied" : "local only" } ?? "off"
            let file = HTMLPage.escape(backup.relativePath)
            html += "<tr><td>\(HTMLPage.time(backup.time, zone: zone))</td><td>\(HTMLPage.escape(backup.file))"
            if let unchanged = backup.manifest?.unchangedFrom { html += #"<br><span class="muted">unchanged since \#(HTMLPage.escape(unchanged))</span>"# }
            html += "</td><td>\(HTMLPage.bytes(backup.size))</td><td>\(backup.manifest.map { String($0.resolve.projects.count) } ?? "no manifest")</td><td>\(offsite)</td>"
            html += #"<td><a href="/restore?file=\#(HTMLPage.query(backup.relativePath))">Restore…</a> "#
            html += #"<form method="post" action="/verify" class="row">\#(HTMLPage.csrfField(session))<input type="hidden" name="file" value="\#(file)"><button>Verify</button></form></td></tr>"#
        }
        return html + "</table>"
    }
}
