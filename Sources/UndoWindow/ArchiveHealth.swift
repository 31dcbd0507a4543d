import Backups
import Foundation
import LaterbaseCore

/// The undo window's part of `backup-agent healthcheck` and `list`: a pure function of what is
/// on disk, the receiver's status and (when the receiver is down) the slot as the primary sees it.
public enum ArchiveHealth {
    /// `wal_status` and `safe_wal_size` of the WAL slot on the primary, or why they are unknown.
    public struct SlotReport: Sendable, Equatable {
        public let text: String
        public init(text: String) { self.text = text }

        /// From one `pg_replication_slots` row (nil: no such slot). Pure.
        public static func from(slot: String, row: [String?]?) -> SlotReport {
            guard let row else { return SlotReport(text: "slot \(slot) does not exist on the primary") }
            let status = row.first.flatMap { $0 } ?? "unknown"
            let safe = row.count > 1 ? row[1].flatMap { Int64($0) } : nil
            let size = safe.map { String(format: "%.1f GiB", Double($0) / 1_073_741_824) } ?? "unlimited"
            return SlotReport(text: "slot \(slot) on the primary: wal_status \(status), safe_wal_size \(size)")
        }
    }

    /// How long after the agent's start a receiver that is not streaming yet counts as
    /// starting (healthy) rather than down: slot checks, pg_receivewal's start and the first
    /// confirmation take a few seconds.
    public static let startupGrace: TimeInterval = 30

    public static func evaluate(window: UndoWindow, receiver: ReceiverStatus?, slot: SlotReport?, now: Date) -> BackupHealth.Verdict {
        guard let newest = window.newest, let oldest = window.oldest else {
            return .init(healthy: false, message: "the WAL archive has no base backup yet")
        }
        let streaming = receiver?.isStreaming(now: now) ?? false
        let gap = window.missing.isEmpty ? "" : "; \(window.missing.count) WAL segment(s) missing (\(window.missing.first!.name)…)"
        if let receiver, receiver.state == .starting, now.timeIntervalSince(receiver.since) <= startupGrace {
            return .init(healthy: true, message: "undo window \(UndoWindow.text(oldest)) – \(UndoWindow.text(newest)), WAL receiver starting since \(UndoWindow.text(receiver.since))\(gap)")
        }
        if !streaming {
            let since = receiver.map { " since \(UndoWindow.text($0.state == .streaming ? $0.updatedAt : $0.since))" } ?? ""
            let reason = receiver?.lastError.map { " (\($0))" } ?? ""
            let slotText = slot.map { "; \($0.text)" } ?? ""
            return .init(healthy: false, message: "WAL receiver down\(since)\(reason)\(slotText); restorable until \(UndoWindow.text(newest))")
        }
        if window.newestNeedsBaseBackup {
            return .init(healthy: false, message: "the WAL archive has a gap\(gap): the newest WAL is not reachable from the newest base backup; a new base backup is due")
        }
        return .init(healthy: true, message: "undo window \(UndoWindow.text(oldest)) – \(UndoWindow.text(newest)), RPO \(Int(max(0, now.timeIntervalSince(newest))))s\(gap)")
    }

    /// The lines `list` prints under the dumps.
    public static func listing(window: UndoWindow, bases: [StoredBaseBackup], wal: [WalFile], receiver: ReceiverStatus?, now: Date) -> String {
        let bytes = wal.reduce(Int64(0)) { $0 + $1.bytes } + bases.reduce(Int64(0)) { $0 + $1.manifest.bytes }
        var lines = ["Undo window (WAL archive): \(window.summary)"]
        if let newest = window.newest { lines.append("  RPO now \(Int(max(0, now.timeIntervalSince(newest))))s, receiver \(receiver?.isStreaming(now: now) == true ? "streaming" : "down")") }
        lines.append("  \(bases.count) base backup(s), \(wal.count) WAL segment(s), \(ByteCountFormatter.string(fromByteCount: bytes, countStyle: .decimal))")
        if !window.missing.isEmpty {
            lines.append("  gap: \(window.missing.count) WAL segment(s) missing from \(window.missing.first!.name) to \(window.missing.last!.name)")
        }
        for base in bases.reversed() {
            lines.append("  base \(base.name)  ended \(UndoWindow.text(base.manifest.finishedAt))  start LSN \(base.manifest.startLSN)  timeline \(base.manifest.timeline)")
        }
        return lines.joined(separator: "\n")
    }
}
