import Foundation
import LaterbaseCore
import Logging
import Synchronization
import UndoWindow

extension PointInTimeRestore {
    /// Replays `wal` (chosen by the files' times) to `target` in one pass of the scratch server.
    ///
    /// The server runs in standby mode, so it never ends recovery at the end of the copied WAL:
    /// it pauses at the first commit after `target`, or it waits for more WAL (``ReplayStall``).
    /// When it waits and `rest` (the remainder of the unbroken run) is not staged yet, `rest` is
    /// staged and replay goes on, so a file time that is off — a clock step on the agent's host,
    /// files copied without their times — costs copying, never a state older than asked for.
    /// When it waits at the end of the run, nothing was committed between the last commit
    /// replayed and `target` (the archive reaches `target`, ``UndoWindow``): that state is the
    /// state at `target`. Waiting anywhere else means a segment in the middle is missing or
    /// damaged, and the restore fails rather than give an older state.
    /// With `selective`, only one library is unpacked (``SelectiveUnpack``), the others made from
    /// `files` (the base backup's `backup_manifest`).
    func replay(_ base: StoredBaseBackup, _ wal: [WalFile], rest: [WalFile] = [], into scratch: ScratchCluster, target: Date,
                selective: SelectiveUnpack? = nil, files: [(path: String, size: Int64)] = []) async throws {
        var mark = ContinuousClock.now
        func phase(_ name: String) {
            let now = ContinuousClock.now
            logger.debug("restore phase", metadata: ["phase": "\(name)", LogKey.seconds: "\(Self.seconds(now - mark))"])
            mark = now
        }
        // tar (inflate and writes) and the copies of the WAL overlap.
        self.phase("unpacking the base backup \(base.name) (\(ByteText.text(base.manifest.bytes))) and staging \(wal.count) WAL segment(s)")
        let started = ContinuousClock.now
        async let unpacked: Duration = { try await scratch.unpack(base, selective: selective, files: files, tools: self.target.tools); return ContinuousClock.now - started }()
        do {
            try await scratch.stage(wal)
            try scratch.stageHistory(from: layout)
        } catch {
            _ = try? await unpacked
            throw error
        }
        let staged = ContinuousClock.now - started
        let unpacking = try await unpacked
        logger.debug("restore phase", metadata: ["phase": "of which unpack", LogKey.seconds: "\(Self.seconds(unpacking))"])
        logger.debug("restore phase", metadata: ["phase": "of which stage", LogKey.seconds: "\(Self.seconds(staged))"])
        phase("unpack and stage")
        try scratch.configure(target: target, zeroFilled: selective != nil)
        self.phase("replaying WAL to \(UndoWindow.text(target))")
        let pending = PendingWal(rest, logger: logger)
        // One deadline for the starts and the replay.
        let deadline = ContinuousClock.now + .seconds(replayTimeoutSeconds)
        var settings = HotStandbySettings()
        for restarts in 0... {
            do {
                try await startConsistent(scratch, base: base, pending: pending, deadline: deadline)
                phase("start (consistent)")
                try await waitForTarget(scratch, archive: wal + rest, pending: pending, deadline: deadline)
                phase("replay")
                if let elsewhere = selective?.invalidPagesElsewhere(inLog: scratch.log), !elsewhere.isEmpty {
                    throw UnpackEverything(reason: "replay met invalid pages outside the zero-filled libraries (\(elsewhere.prefix(3).joined(separator: ", ")))")
                }
                return
            } catch let error as ArchiveError where error.code == .replay || error.code == .scratchStopped {
                // The Resolve server had (or got, after the base backup) a setting higher than the
                // scratch server's: PostgreSQL stopped or paused replay; start it with that value.
                let raises = settings.raises(inLog: scratch.log)
                guard !raises.isEmpty, restarts < Self.settingRestarts else { throw error }
                let named = raises.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
                logger.info("the Resolve server had a higher setting than the scratch server; restarting it with the same", metadata: ["settings": "\(named)"])
                settings.set(raises)
                try await scratch.stopForRestart(with: raises, timeoutSeconds: Self.secondsLeft(until: deadline))
                phase("restart with \(named)")
            }
        }
    }

    /// At most so many restarts for settings (one each for five settings, and again for a setting raised twice).
    static let settingRestarts = 10

    /// Whole seconds until `deadline`, at least 1 (for `pg_ctl -t`).
    static func secondsLeft(until deadline: ContinuousClock.Instant) -> Int {
        max(1, Int((deadline - ContinuousClock.now).components.seconds))
    }

    /// `pg_ctl start -w` returns once the server accepts connections (consistent). Meanwhile a
    /// replay stuck for want of WAL stages `pending`, or fails: the base backup cannot become
    /// consistent without the segment it waits for (pg_ctl alone would wait for its timeout).
    private func startConsistent(_ scratch: ScratchCluster, base: StoredBaseBackup, pending: PendingWal, deadline: ContinuousClock.Instant) async throws {
        let timeout = Self.secondsLeft(until: deadline)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scratch.start(timeoutSeconds: timeout) }
                group.addTask {
                    var stall = ReplayStall(settle: .seconds(1))
                    while true {
                        try await Task.sleep(for: .milliseconds(200))
                        let observation = scratch.observeReplay(replayed: nil)
                        if let untaken = stall.untaken(observation, at: .now) { throw Self.untaken(untaken, in: scratch) }
                        guard let missing = stall.observe(observation, at: .now) else { continue }
                        if try await pending.stage(into: scratch) { stall.reset(); continue }
                        throw ArchiveError(.replay, "replay of the base backup \(base.name) waits for the WAL segment \(missing), which is missing or damaged in the archive; without it the base backup cannot become consistent: choose a time covered by a later base backup (backup-agent list shows the undo window)")
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as ArchiveError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if ContinuousClock.now >= deadline {
                throw ArchiveError(.replay, "the scratch server did not become consistent within \(replayTimeoutSeconds) s; the scratch server was removed")
            }
            throw ArchiveError(.scratchStopped, "the scratch server did not start: \(scratch.stopReason())")
        }
    }

    /// Polls until replay paused at the target, or stopped at the end of the archive (see
    /// ``replay(_:_:rest:into:target:selective:files:)``), until `deadline`. A scratch server that cannot be
    /// queried for ``unreachableLimit`` while it runs fails the restore with libpq's reason.
    /// - Parameter archive: the archive's unbroken run from the base backup on.
    private func waitForTarget(_ scratch: ScratchCluster, archive: [WalFile], pending: PendingWal, deadline: ContinuousClock.Instant) async throws {
        let last = archive.map(\.segment).max()
        let parameters = scratch.connection(user: user)
        var stall = ReplayStall()
        var reached = ContinuousClock.now
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            guard scratch.isRunning() else {
                throw ArchiveError(.scratchStopped, "the scratch server stopped during replay: \(scratch.stopReason())")
            }
            let state: [String?]?
            do {
                state = try await PostgresConnection.withConnection(parameters) { connection in
                    // pg_is_wal_replay_paused() fails once recovery has ended.
                    try connection.query("SELECT pg_is_in_recovery()::text, CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused()::text END, pg_last_wal_replay_lsn()::text").rows.first
                }
                reached = ContinuousClock.now
            } catch {
                if error is CancellationError { throw error }
                if ContinuousClock.now - reached >= Self.unreachableLimit {
                    throw ArchiveError(.replay, "the scratch server accepted connections but has not answered for \(Int(Self.unreachableLimit.components.seconds)) s (\(oneLine(error))); the scratch server was removed")
                }
                state = nil
            }
            if let row = state {
                if row[0] == "false" { return }
                if row[1] == "true" {
                    try Self.requireTargetReached(scratch)
                    return
                }
            }
            let replayed = state.flatMap { $0[2] }.flatMap(LSN.parse)
            if let replayed, let last {
                // How far replay is, against the end of the staged WAL (the target lies before it).
                let end = (last.number + 1) * last.segmentSize - 1
                self.phase("replaying WAL: at \(LSN.format(replayed)) of at most \(LSN.format(end)) (\(ByteText.text(Int64(end - min(end, replayed)))) of WAL left at most)")
            }
            let observation = scratch.observeReplay(replayed: replayed)
            if let untaken = stall.untaken(observation, at: .now) { throw Self.untaken(untaken, in: scratch) }
            if let replayed, let missing = stall.observe(observation, at: .now) {
                if try await pending.stage(into: scratch) {
                    stall.reset()
                    continue
                }
                if let last, !Self.isEnd(missing, of: archive, last: last) {
                    let written = archive.first { $0.segment.name == missing }.map { " (written about \(UndoWindow.text($0.modified)))" } ?? ""
                    throw ArchiveError(.replay, "replay stopped at \(LSN.format(replayed)) in the WAL segment \(missing)\(written), before the end of the archive at \(last.name): that segment is missing or damaged, so the archive cannot give this time; choose a time before that segment")
                }
                logger.info("no commit after the target time in the archive: replayed to its end, the state at the target time")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ArchiveError(.replay, "replay did not reach the target within \(replayTimeoutSeconds) s; the scratch server was removed")
    }

    /// The error for a staged segment the server does not take (``ReplayStall/untaken(_:at:)``).
    static func untaken(_ segment: String, in scratch: ScratchCluster) -> ArchiveError {
        ArchiveError(.replay, "replay keeps asking for the WAL segment \(segment) although a file of that number is staged in \(scratch.walDirectory): the scratch server cannot take it (check ownership and free space under BACKUP_DIR), or the archive lacks the timeline history file that leads to it")
    }

    /// How long the scratch server may refuse queries while it runs (too many connections, a
    /// socket gone) before the restore gives up.
    static let unreachableLimit: Duration = .seconds(60)

    /// Whether replay waiting for `missing` (more of it, or it at all) means the end of the
    /// archive: a number past the last one the archive holds, or the last number when every
    /// file of it is a `.partial` (replay reads what it holds, then asks again). A complete file
    /// it cannot get past, or a number before the last, is damaged or missing. Pure.
    static func isEnd(_ missing: String, of archive: [WalFile], last: WalSegment) -> Bool {
        guard let wanted = WalSegment(fileName: missing, segmentSize: last.segmentSize) else { return false }
        let held = archive.filter { $0.segment.number == wanted.number }
        if held.isEmpty { return wanted.number > last.number }
        return wanted.number == last.number && held.allSatisfy(\.isPartial)
    }

    /// A paused replay is at the target only when the server says so ("recovery stopping
    /// before/after …"). PostgreSQL 14+ also pauses when a setting replayed from the primary
    /// (max_connections, max_worker_processes, …) is higher than the scratch server's
    /// (``HotStandbySettings``): dumping then would give an older library. The error this
    /// throws makes ``replay(_:_:rest:into:target:selective:files:)`` restart the server with that setting, or
    /// reaches the user when there is none to raise.
    static func requireTargetReached(_ scratch: ScratchCluster) throws {
        let log = scratch.log
        if log.contains("recovery stopping before") || log.contains("recovery stopping after") { return }
        let detail = HotStandbySettings.lastDetail(inLog: log).map { " (PostgreSQL: \($0))" } ?? ""
        throw ArchiveError(.replay, "replay paused before the target time\(detail.isEmpty ? ": \(scratch.logTail())" : " because the Resolve server kept raising a setting after this base backup" + detail); times after the next base backup (BASE_BACKUP_SCHEDULE) restore")
    }
}

/// The rest of the archive's unbroken run, staged at most once, when replay asks for it.
final class PendingWal: Sendable {
    private let files: Mutex<[WalFile]>
    private let logger: Logger

    init(_ files: [WalFile], logger: Logger) {
        self.files = Mutex(files)
        self.logger = logger
    }

    /// Stages what is pending; false when nothing was.
    func stage(into scratch: ScratchCluster) async throws -> Bool {
        let taken = files.withLock { files in
            defer { files = [] }
            return files
        }
        guard !taken.isEmpty else { return false }
        logger.info("replay needs WAL past the files chosen by their times; staging the rest of the archive", metadata: ["segments": "\(taken.count)"])
        do {
            try await scratch.stage(taken)
        } catch {
            files.withLock { $0 = taken }
            if error is CancellationError { throw error }
            throw ArchiveError(.scratch, "could not copy the rest of the WAL archive (\(taken.count) segments) into \(scratch.walDirectory): \(oneLine(error)); free space under BACKUP_DIR")
        }
        // Misses from before are answered now.
        unlink(scratch.missLog)
        return true
    }
}
