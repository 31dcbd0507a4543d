import Backups
import Foundation

/// `/search?project=TEXT`: which backups hold a project whose name contains TEXT, and when it
/// was last saved in each, from the manifests (no server is asked).
enum SearchPage {
    struct Hit: Sendable {
        let backup: StoredBackup
        let project: ResolveProject
    }

    static func hits(_ text: String, in backups: [StoredBackup]) -> [Hit] {
        let needle = text.trimmingCharacters(in: .whitespaces)
        guard !needle.isEmpty else { return [] }
        return backups.flatMap { backup in
            (backup.manifest?.resolve.projects ?? []).filter { $0.name.localizedCaseInsensitiveContains(needle) }.map { Hit(backup: backup, project: $0) }
        }
    }

    static func body(query: String, hits: [Hit], zone: TimeZone) -> String {
        var html = #"<form method="get" action="/search"><input type="search" name="project" value="\#(HTMLPage.escape(query))" placeholder="Project name" autofocus> <button>Find</button></form>"#
        guard !query.isEmpty else { return html }
        guard !hits.isEmpty else { return html + #"<p>No backup holds a project whose name contains “\#(HTMLPage.escape(query))”.</p>"# }
        html += hits.count == 1 ? "<p>1 backup holds a matching project.</p>" : "<p>\(hits.count) backups hold a matching project.</p>"
        html += "<table><tr><th>Project</th><th>Folder</th><th>Saved</th><th>Library</th><th>Backup taken</th><th></th></tr>"
        for hit in hits {
            html += "<tr><td>\(HTMLPage.escape(hit.project.name))</td><td>/\(HTMLPage.escape(hit.project.folder))</td>"
            html += "<td>\(HTMLPage.time(hit.project.lastModified, zone: zone))</td><td>\(HTMLPage.escape(hit.backup.database))</td>"
            html += "<td>\(HTMLPage.time(hit.backup.time, zone: zone))</td>"
            html += #"<td><a href="/restore?file=\#(HTMLPage.query(hit.backup.relativePath))">Restore this backup…</a></td></tr>"#
        }
        return html + "</table>"
    }
}
