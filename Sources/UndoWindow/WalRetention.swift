import Foundation

/// Retention of the undo window (`WAL_KEEP_DAYS`): a pure policy over the base backups and the
/// WAL files on disk, table-tested.
///
/// Kept: every base backup that ended within the last `keepDays` days, the newest one that
/// ended before that (it restores the moments at the start of the window), and always the
/// newest. Deleted: the other base backups, and only WAL segments older than the start segment
/// of the oldest kept base backup — never a segment a kept base backup needs, never a
/// `.partial`, never anything when no base backup exists.
public enum WalRetention {
    public struct Plan: Sendable, Equatable {
        public var keptBases: [String] = []
        public var deletedBases: [String] = []
        public var deletedWal: [String] = []
    }

    public static func plan(bases: [StoredBaseBackup], wal: [WalFile], now: Date, keepDays: Int) -> Plan {
        var plan = Plan()
        let ordered = bases.sorted { $0.manifest.finishedAt < $1.manifest.finishedAt }
        guard let newest = ordered.last else { return plan }
        let cutoff = now.addingTimeInterval(-Double(keepDays) * 86_400)
        let boundary = ordered.last { $0.manifest.finishedAt < cutoff }
        let kept = ordered.filter { $0.manifest.finishedAt >= cutoff || $0 == boundary || $0 == newest }
        plan.keptBases = kept.map(\.name)
        plan.deletedBases = ordered.filter { !kept.contains($0) }.map(\.name)
        // A kept base backup whose start cannot be read keeps all WAL.
        let starts = kept.map { $0.manifest.startSegment?.number }
        guard !starts.contains(where: { $0 == nil }), let oldestStart = starts.compactMap({ $0 }).min() else { return plan }
        plan.deletedWal = wal.filter { !$0.isPartial && $0.segment.number < oldestStart }.map(\.path)
        return plan
    }
}
