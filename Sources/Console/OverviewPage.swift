import Agent
import Backups
import Foundation
import Restore

/// `/`: each library's newest backup, the health line, the standby as the primary sees it, the
/// undo window. Reloads itself every 30 seconds.
struct OverviewPage: ConsoleView {
    static let template = "overview"

    struct Library: Sendable {
        let database: String
        let databaseQuery: String
        let backupCount: Int
        let newest: String
        let age: String
        let size: String
        let projects: String
        let offsite: Mark
        let pass: Mark
    }

    struct Sender: Sendable {
        let application: String
        let role: String
        let client: String
        let state: String
        let lagBytes: String
        let lagSeconds: String
    }

    struct Slot: Sendable {
        let name: String
        let active: Mark
        let retained: String
        let walStatus: String
        /// Room before the slot's WAL is lost (`safe_wal_size`), "unlimited" without a limit.
        let room: String
    }

    /// What the primary reported (nil when it did not answer: then ``primaryProblem``).
    struct Replication: Sendable {
        let senders: [Sender]
        let hasSenders: Bool
        let slots: [Slot]
        let hasSlots: Bool
    }

    /// The healthcheck's verdict, starting "Healthy: " or "Unhealthy: ".
    let health: Mark
    let libraries: [Library]
    let hasLibraries: Bool
    let primaryProblem: String?
    let replication: Replication?
    /// The undo window as `backup-agent list` prints it; nil when it is off.
    let undoWindow: String?
    /// The last disaster drill from the remote (``DrillRecord/summary``) and when; nil when none ran.
    let lastDrill: String?
    let lastDrillFailed: Bool
    /// With offsite copies on: the button, or since when a drill started here runs.
    let drillButton: Bool
    let drillRunning: String?
    /// The section's heading: a drill ran, or offsite copies are on (stored: templates read stored properties only).
    let showDrill: Bool
    let updated: String

    init(libraries: [LibraryStatus], health: Result<BackupHealth.Verdict, ConsoleProblem>,
         replication: Result<ReplicationStatus, ConsoleProblem>, undoWindow: String?, drill: DrillRecord? = nil,
         drillRunningSince: Date?? = nil, zone: TimeZone, now: Date) {
        switch health {
        case .success(let verdict):
            // The verdict's message starts with "healthy: " / "unhealthy: " itself (the healthcheck's line).
            self.health = Mark(style: verdict.healthy ? "ok" : "bad", text: verdict.message.prefix(1).uppercased() + verdict.message.dropFirst())
        case .failure(let problem):
            self.health = .bad("Unhealthy: " + problem.description)
        }
        self.libraries = libraries.map { library in
            let newest = library.newest
            return Library(database: library.database, databaseQuery: PageFormat.query(library.database), backupCount: library.backupCount,
                           newest: PageFormat.time(newest?.time, zone: zone), age: newest.map { PageFormat.age(now.timeIntervalSince($0.time)) } ?? "—",
                           size: newest.map { PageFormat.bytes($0.size) } ?? "—",
                           projects: newest?.manifest.map { String($0.resolve.projects.count) } ?? "—",
                           offsite: library.newestUploaded.map { $0 ? .ok("copied") : .bad("local only") } ?? .muted("off"),
                           pass: library.lastError.map { .bad("failed: " + $0) } ?? .ok("ok"))
        }
        hasLibraries = !libraries.isEmpty
        switch replication {
        case .failure(let problem):
            primaryProblem = problem.description
            self.replication = nil
        case .success(let status):
            primaryProblem = nil
            let senders = status.senders.map { sender in
                Sender(application: sender.application, role: sender.role, client: sender.client, state: sender.state,
                       lagBytes: sender.replayLagBytes.map(PageFormat.bytes) ?? "—", lagSeconds: String(format: "%.1f", sender.replayLagSeconds))
            }
            let slots = status.slots.map { slot in
                Slot(name: slot.name, active: slot.active ? .ok("yes") : .bad("no"), retained: slot.retainedBytes.map(PageFormat.bytes) ?? "—",
                     walStatus: slot.walStatus, room: slot.safeWalSize.map(PageFormat.bytes) ?? "unlimited")
            }
            self.replication = Replication(senders: senders, hasSenders: !senders.isEmpty, slots: slots, hasSlots: !slots.isEmpty)
        }
        self.undoWindow = undoWindow
        lastDrill = drill.map { "\(PageFormat.time($0.startedAt, zone: zone)): \($0.summary)" }
        lastDrillFailed = drill.map { !$0.passed } ?? false
        drillRunning = drillRunningSince.flatMap { $0 }.map { PageFormat.time($0, zone: zone) }
        drillButton = drillRunningSince != nil && drillRunning == nil
        showDrill = lastDrill != nil || drillRunningSince != nil
        updated = PageFormat.time(now, zone: zone)
    }
}
