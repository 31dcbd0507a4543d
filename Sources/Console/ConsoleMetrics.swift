import Agent
import Backups
import CoreMetrics
import Foundation
import Restore
import Metrics
import Prometheus
import Synchronization
import UndoWindow

/// `/metrics`: the agent's state in Prometheus text format, through swift-metrics with a
/// swift-prometheus factory of the console's own (not the process-wide MetricsSystem, so
/// nothing else in the process adds series). Gauges are set from disk and from the primary at
/// each scrape; restore outcomes are counted as they happen; notification deliveries are the
/// notifier's own counts, carried over at each scrape.
final class ConsoleMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// The notifier's counts at the last scrape: the counters grow by what was delivered since.
    private let notificationsCounted = Mutex<(sent: Int, failed: Int)>((0, 0))

    /// What the notifier reports at a scrape (with `NOTIFY_URLS` set).
    struct NotificationState: Sendable {
        /// Delivered and given up on since the agent started.
        let sent: Int
        let failed: Int
        let openProblems: Int
    }

    init() { factory = PrometheusMetricsFactory(registry: registry) }

    private func gauge(_ name: String, _ dimensions: [(String, String)] = [], _ value: Double) {
        Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }

    /// Counts a finished console restore: `succeeded`, `failed` or `cancelled`.
    func restoreFinished(_ outcome: String) {
        Counter(label: "laterbase_console_restores_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// Brings `laterbase_notifications_total{outcome}` up to the notifier's counts.
    private func countNotifications(_ state: NotificationState) {
        notificationsCounted.withLock { counted in
            for (outcome, total, before) in [("sent", state.sent, counted.sent), ("failed", state.failed, counted.failed)] {
                // Made at 0 on the first scrape, so both series are there from the start.
                Counter(label: "laterbase_notifications_total", dimensions: [("outcome", outcome)], factory: factory)
                    .increment(by: max(0, total - before))
            }
            counted = (max(counted.sent, state.sent), max(counted.failed, state.failed))
        }
    }

    /// The undo window offsite (``OffsiteArchiveIndex``) and how far it lags the local one.
    struct OffsiteWindow {
        let window: UndoWindow
        let lag: TimeInterval?
    }

    /// Sets every gauge from the state now and returns the exposition text.
    /// - Parameter notifications: nil with notifications off (then no notification series).
    func render(libraries: [LibraryStatus], healthy: Bool, offsiteBacklog: Int?, replication: Result<ReplicationStatus, ConsoleProblem>,
                undoWindow: UndoWindow?, offsite: OffsiteWindow? = nil, drill: DrillRecord? = nil, restoreRunning: Bool, notifications: NotificationState? = nil,
                now: Date) -> String {
        for library in libraries {
            let labels = [("database", library.database)]
            if let newest = library.newest {
                gauge("laterbase_backup_newest_age_seconds", labels, now.timeIntervalSince(newest.time))
                gauge("laterbase_backup_newest_bytes", labels, Double(newest.size))
            }
            gauge("laterbase_backup_files", labels, Double(library.backupCount))
            gauge("laterbase_backup_last_pass_ok", labels, library.lastError == nil ? 1 : 0)
        }
        gauge("laterbase_backup_healthy", [], healthy ? 1 : 0)
        if let offsiteBacklog { gauge("laterbase_offsite_backlog_files", [], Double(offsiteBacklog)) }
        switch replication {
        case .success(let status):
            gauge("laterbase_primary_up", [], 1)
            for sender in status.senders {
                let labels = [("application", sender.application)]
                if let bytes = sender.replayLagBytes { gauge("laterbase_replication_replay_lag_bytes", labels, Double(bytes)) }
                gauge("laterbase_replication_replay_lag_seconds", labels, sender.replayLagSeconds)
            }
            for slot in status.slots {
                let labels = [("slot", slot.name)]
                if let retained = slot.retainedBytes { gauge("laterbase_replication_slot_retained_bytes", labels, Double(retained)) }
                gauge("laterbase_replication_slot_active", labels, slot.active ? 1 : 0)
            }
        case .failure:
            gauge("laterbase_primary_up", [], 0)
        }
        if let oldest = undoWindow?.oldest, let newest = undoWindow?.newest {
            gauge("laterbase_undo_window_oldest_timestamp_seconds", [], oldest.timeIntervalSince1970)
            gauge("laterbase_undo_window_newest_timestamp_seconds", [], newest.timeIntervalSince1970)
            gauge("laterbase_undo_window_rpo_seconds", [], now.timeIntervalSince(newest))
        }
        if let offsite {
            if let newest = offsite.window.newest { gauge("laterbase_offsite_undo_window_newest_timestamp_seconds", [], newest.timeIntervalSince1970) }
            if let lag = offsite.lag, lag.isFinite { gauge("laterbase_offsite_undo_window_lag_seconds", [], lag) }
        }
        if let drill {
            gauge("laterbase_drill_last_success", [], drill.passed ? 1 : 0)
            gauge("laterbase_drill_last_timestamp_seconds", [], drill.startedAt.timeIntervalSince1970)
            gauge("laterbase_drill_last_duration_seconds", [], drill.seconds)
        }
        gauge("laterbase_console_restore_running", [], restoreRunning ? 1 : 0)
        if let notifications {
            countNotifications(notifications)
            gauge("laterbase_notifications_open_problems", [], Double(notifications.openProblems))
        }
        return registry.emitToString()
    }
}
