import Foundation
import LaterbaseCore

/// Which moments can be restored from the base backups and the WAL on disk: a pure function of
/// both, unit-tested with literal values.
///
/// A base backup restores every moment from its end up to the last segment reached from its
/// start segment without a missing one (a segment inside the backup's own start–end range
/// needs no archive file: `pg_wal.tar.gz` holds it). A missing segment between the newest
/// base backup and the newest WAL is a gap: moments after it need a new base backup.
public struct UndoWindow: Sendable, Equatable {
    /// What one base backup can restore.
    public struct Span: Sendable, Equatable {
        public let base: String
        public let from: Date
        public let to: Date
        /// The last segment replay can read from the archive for this base backup.
        public let lastSegment: WalSegment?
    }

    public let spans: [Span]
    /// Segments missing between the oldest base backup's start and the newest WAL file.
    public let missing: [WalSegment]
    /// True when the newest WAL cannot be reached from the newest base backup.
    public let newestNeedsBaseBackup: Bool

    public var oldest: Date? { spans.map(\.from).min() }
    public var newest: Date? { spans.map(\.to).max() }

    /// - Parameter streamedUntil: the last moment the receiver had all the primary's WAL
    ///   (``ReceiverStatus/streamedUntil``): the newest span reaches it even when no WAL was
    ///   written since (an idle primary loses nothing).
    public init(bases: [StoredBaseBackup], wal: [WalFile], streamedUntil: Date? = nil) {
        let byNumber = Dictionary(wal.map { ($0.segment.number, $0) }, uniquingKeysWith: { a, b in a.isPartial ? b : a })
        let newestFile = wal.max { $0.segment < $1.segment }
        var spans: [Span] = []
        var lastReachesNewest = false
        for base in bases {
            let manifest = base.manifest
            guard let start = manifest.startSegment, let endLSN = LSN.parse(manifest.endLSN) else { continue }
            let endNumber = endLSN / manifest.walSegmentSize
            let limit = max(endNumber, newestFile?.segment.number ?? 0)
            var number = start.number
            var last: WalFile?
            while number <= limit {
                if let file = byNumber[number] { last = file } else if number > endNumber { break }
                number += 1
            }
            let reachesNewest = number > limit
            var to = max(manifest.finishedAt, last?.modified ?? manifest.finishedAt)
            if reachesNewest, let streamedUntil { to = max(to, streamedUntil) }
            lastReachesNewest = reachesNewest
            spans.append(Span(base: base.name, from: manifest.finishedAt, to: to, lastSegment: last?.segment))
        }
        var missing: [WalSegment] = []
        if let first = bases.compactMap({ $0.manifest.startSegment }).min(), let newestFile {
            let present = Set(byNumber.keys)
            let ends = bases.compactMap { base in LSN.parse(base.manifest.endLSN).map { (base.manifest.startSegment?.number ?? 0, $0 / base.manifest.walSegmentSize) } }
            var number = first.number
            while number < newestFile.segment.number {
                let inBackup = ends.contains { $0.0 <= number && number <= $0.1 }
                if !present.contains(number) && !inBackup {
                    missing.append(WalSegment(timeline: newestFile.segment.timeline, number: number, segmentSize: newestFile.segment.segmentSize))
                }
                number += 1
            }
        }
        self.spans = spans
        self.missing = missing
        newestNeedsBaseBackup = !lastReachesNewest
    }

    /// The newest base backup that can restore `time`, or the one-line reason why none can.
    public func base(for time: Date) -> Result<Span, ArchiveError> {
        guard let oldest, let newest else {
            return .failure(ArchiveError(.noBaseBackup, "the WAL archive holds no base backup yet; set WAL_ARCHIVE=on and let backup-agent run take one"))
        }
        if time < oldest {
            return .failure(ArchiveError(.beforeWindow, "\(Self.text(time)) is before the oldest restorable time \(Self.text(oldest)); use a dump (backup-agent list) for older states"))
        }
        if time > newest {
            return .failure(ArchiveError(.afterWindow, "\(Self.text(time)) is after the newest restorable time \(Self.text(newest)); the archive has no WAL that recent"))
        }
        if let span = spans.filter({ $0.from <= time && time <= $0.to }).max(by: { $0.from < $1.from }) {
            return .success(span)
        }
        return .failure(ArchiveError(.inGap, "\(Self.text(time)) falls in a gap of the WAL archive (WAL missing, e.g. while the receiver was down); restorable: \(summary)"))
    }

    /// `2026-11-24 10:00:05 UTC – 2026-11-24 12:01:00 UTC`, spans joined by `, `.
    public var summary: String {
        var merged: [(Date, Date)] = []
        for span in spans.sorted(by: { $0.from < $1.from }) {
            if let last = merged.last, span.from <= last.1 { merged[merged.count - 1].1 = max(last.1, span.to) } else { merged.append((span.from, span.to)) }
        }
        return merged.isEmpty ? "nothing" : merged.map { "\(Self.text($0.0)) – \(Self.text($0.1))" }.joined(separator: ", ")
    }

    /// `2026-11-24 14:34:59 UTC`.
    public static func text(_ date: Date) -> String { UTCFormat.message(date) }
}
