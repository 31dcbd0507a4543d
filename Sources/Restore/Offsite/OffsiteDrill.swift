import Backups
import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// `backup-agent drill`: proves the remote alone can bring a library back. Picks a random
/// library and a random second of the remote's undo window (or, without one, a random dump
/// of it), restores it from the remote (``OffsiteFetch``) into a scratch database on the Resolve
/// server, reads its Resolve catalog, and drops it again. Nothing is kept but the record.
public struct OffsiteDrill: Sendable {
    public let fetch: OffsiteFetch
    public let target: RestoreTarget
    /// PRIMARY_USER: the role pg_dump uses on the scratch server of a point-in-time restore.
    public let user: String

    public init(fetch: OffsiteFetch, target: RestoreTarget, user: String) {
        self.fetch = fetch
        self.target = target
        self.user = user
    }

    /// Runs one drill; a failure is the record's `error`, never thrown (cancellation aside).
    public func run(now: Date = Date()) async throws -> DrillRecord {
        var record = DrillRecord(startedAt: now)
        let clock = ContinuousClock.now
        do {
            try await drill(&record, now: now)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            record.error = oneLine(error)
        }
        // A drill is not resumed by hand: what it fetched goes, also after a failure.
        fetch.remove()
        let elapsed = ContinuousClock.now - clock
        record.seconds = elapsed.seconds
        return record
    }

    private func drill(_ record: inout DrillRecord, now: Date) async throws {
        let dumps = try await fetch.dumps()
        let index = try? await fetch.index()
        let folders = Set(dumps.map(\.folder))
        let window = index?.window
        let libraries = index?.storedBases().last?.manifest.databases.filter { folders.contains(BackupLayout.folderName(for: $0)) } ?? []
        let library = target.scratchLibrary()
        if let window, let span = window.spans.randomElement(), let name = libraries.randomElement() {
            let time = Date(timeIntervalSince1970: Double.random(in: span.from.timeIntervalSince1970...max(span.from.timeIntervalSince1970, span.to.timeIntervalSince1970)).rounded(.down))
            record.library = name
            record.at = time
            let layout = try await fetch.fetchArchive(for: time)
            let restore = PointInTimeRestore(layout: layout, target: target, user: user)
            try await library.restore(from: PointInTimeSource(restore: restore, database: name, time: time, now: now))
        } else if let dump = dumps.randomElement() {
            record.backup = dump.relativePath
            let backup = try await fetch.fetchDump(dump.relativePath, database: nil)
            record.library = backup.database
            try await library.restore(from: DumpSource(backup))
        } else {
            throw BackupError(.notFound, "the remote \(fetch.remote.location("")) holds no backup and no undo window to drill with")
        }
        do {
            record.projects = try await target.projects(in: library.workingName).count
        } catch {
            try? await library.drop()
            throw error
        }
        try await library.drop()
    }
}
