import Backups
import Foundation
import LaterbaseCore

/// The offsite undo window beside the local one, for `healthcheck`, `list` and the console: a
/// pure function of the index (``OffsiteArchiveIndex``, local copy) and the local window.
public enum OffsiteArchiveHealth {
    /// How far the offsite window's end lags the local one's, in seconds (0 when level or ahead);
    /// nil when the local archive has no window yet.
    public static func lag(index: OffsiteArchiveIndex, local: UndoWindow) -> TimeInterval? {
        lag(offsiteNewest: index.window.newest, local: local)
    }

    private static func lag(offsiteNewest: Date?, local: UndoWindow) -> TimeInterval? {
        guard let localNewest = local.newest else { return nil }
        guard let offsiteNewest else { return .infinity }
        return max(0, localNewest.timeIntervalSince(offsiteNewest))
    }

    /// Healthy while the offsite window ends at most `maxLag` seconds before the local one. A
    /// first base backup still being copied counts as lag from the local base backup's end.
    public static func evaluate(index: OffsiteArchiveIndex, local: UndoWindow, localBases: [StoredBaseBackup], maxLag: Int, now: Date) -> BackupHealth.Verdict? {
        // The index's window, built once (it walks every WAL entry).
        let newest = index.window.newest
        guard let lag = lag(offsiteNewest: newest, local: local) else { return nil }
        let error = index.lastError.map { "; last error: \($0)" } ?? ""
        guard let offsiteNewest = newest else {
            let waiting = localBases.first.map { now.timeIntervalSince($0.manifest.finishedAt) } ?? 0
            return .init(healthy: waiting <= Double(maxLag),
                         message: "offsite: no base backup offsite yet\(error)")
        }
        if lag > Double(maxLag) {
            return .init(healthy: false, message: "offsite undo window \(Int(lag))s behind the local one (OFFSITE_MAX_WAL_LAG \(maxLag)s): restorable from the remote until \(UndoWindow.text(offsiteNewest))\(error)")
        }
        return .init(healthy: true, message: "offsite restorable until \(UndoWindow.text(offsiteNewest)) (lag \(Int(lag))s)")
    }

    /// The lines `list` prints for the offsite window (from the local index, or with `list --offsite` the remote's).
    public static func listing(index: OffsiteArchiveIndex, remote: String) -> String {
        let window = index.window
        let bytes = index.wal.values.reduce(Int64(0)) { $0 + $1.bytes } + index.bases.values.reduce(Int64(0)) { $0 + $1.bytes }
        var lines = ["Offsite undo window (\(remote)): \(window.summary)"]
        lines.append("  \(index.bases.count) base backup(s), \(index.wal.count) WAL file(s), \(ByteCountFormatter.string(fromByteCount: bytes, countStyle: .decimal))"
            + (index.lastSync.map { ", last copied \(UndoWindow.text($0))" } ?? ""))
        if let error = index.lastError { lines.append("  last error: \(error)") }
        if !window.missing.isEmpty {
            lines.append("  gap: \(window.missing.count) WAL segment(s) missing from \(window.missing.first!.name) to \(window.missing.last!.name)")
        }
        return lines.joined(separator: "\n")
    }
}
