import Foundation
import LaterbaseCore

/// `/exports`: the running or last "Download for Resolve" and the files ready for download (a
/// day each), with their size and SHA-256. Reloads itself every 2 s while an export runs.
struct ExportsPage: ConsoleView {
    static let template = "exports"

    struct Row: Sendable {
        let name: String
        let link: String
        let size: String
        let made: String
        let expires: String
        let sha256: String
    }

    let running: String?
    let failure: String?
    let files: [Row]
    let hasFiles: Bool

    init(job: ConsoleExports.Job?, files: [ConsoleExports.File], zone: TimeZone, now: Date) {
        running = job.flatMap { $0.outcome == .running ? "\($0.label), started \(PageFormat.time($0.startedAt, zone: zone)), running for \(PageFormat.age(now.timeIntervalSince($0.startedAt)))" : nil }
        if case .failed(let reason)? = job?.outcome { failure = "\(job?.label ?? ""): \(reason)" } else { failure = nil }
        self.files = files.map { file in
            Row(name: file.name, link: "/exports/download?name=\(PageFormat.query(file.name))", size: PageFormat.bytes(file.bytes),
                made: PageFormat.time(file.made, zone: zone), expires: PageFormat.time(file.made.addingTimeInterval(ConsoleExports.keepSeconds), zone: zone),
                sha256: file.sha256 ?? "—")
        }
        hasFiles = !files.isEmpty
    }
}
