import Backups
import Foundation
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The WAL archive of `backup-agent run`: a swift-service-lifecycle `Service` that keeps
/// `pg_receivewal --slot WAL_SLOT --synchronous` streaming the primary's WAL into `.wal/`.
///
/// - The physical slot is created when missing; when the primary invalidated it (`wal_status`
///   `lost`) or no longer has the WAL the archive would resume from, the slot is made again and
///   the segments on disk are set aside into `.wal/<stamp>/`, so streaming restarts at the
///   primary's current position and the hole shows as a gap (`UndoWindow`).
/// - pg_receivewal resumes from the newest segment in its directory (also on PostgreSQL 13).
/// - When it exits it is restarted with a growing pause (1 s up to 60 s).
/// - On graceful shutdown pg_receivewal gets SIGTERM and `run()` returns. pg_receivewal 13 dies
///   at once (a CI run found the half-filled segment it leaves: ``removeInterruptedPartials()``).
/// - The connection goes through libpq's environment; the password never is an argument.
public struct WalReceiver: Service {
    public let primary: PrimarySettings
    public let slot: String
    public let layout: ArchiveLayout
    public let tools: PostgresTools
    public let logger: Logger
    /// Whether pg_receivewal streams now, and since when it had all WAL; shared with the status writer.
    let progress = ReceiverProgress()
    public var pauses: [Duration] = [.seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]

    public init(primary: PrimarySettings, slot: String, layout: ArchiveLayout, tools: PostgresTools = PostgresTools(), logger: Logger) {
        self.primary = primary
        self.slot = slot
        self.layout = layout
        self.tools = tools
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await loop() }
        } catch is CancellationError {
            let now = Date()
            ReceiverStatus(state: .stopped, since: now, updatedAt: now, streamedUntil: progress.streamedUntil).save(layout)
            logger.info("WAL receiver stopped")
        }
    }

    func loop() async throws {
        try FileManager.default.createDirectory(atPath: layout.walDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var failures = 0
        var restarts = 0
        var setAside = false
        // What the last agent confirmed stays restorable; `starting` tells healthcheck that the
        // receiver is on its way (``ArchiveHealth/startupGrace``), not down.
        if let previous = ReceiverStatus.load(layout)?.streamedUntil { progress.confirm(previous) }
        var status = ReceiverStatus(state: .starting, since: Date(), updatedAt: Date(), streamedUntil: progress.streamedUntil)
        while true {
            let started = ContinuousClock.now
            do {
                guard let lock = try DirectoryLock.tryAcquire(layout.receiverLock) else {
                    throw ArchiveError(.receiver, "another backup-agent is already receiving WAL into \(layout.walDirectory)")
                }
                defer { lock.release() }
                if status.state == .starting { status.save(layout) }
                if try await prepareSlot() || setAside { try setAsideSegments() }
                setAside = false
                try await removeInterruptedPartials()
                try await stream(status: &status, restarts: restarts)
                throw ArchiveError(.receiver, "pg_receivewal ended")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                progress.stopped()
                let message = "\(error)"
                if message.contains("has already been removed") || message.contains("invalidated") { setAside = true }
                let now = Date()
                status = ReceiverStatus(state: .down, since: status.state == .down ? status.since : now, updatedAt: now,
                                        lastError: message, restarts: restarts, streamedUntil: progress.streamedUntil)
                status.save(layout)
                logger.error("WAL receiver down; restarting", metadata: [LogKey.error: "\(message)", LogKey.slot: "\(slot)"])
            }
            failures = ContinuousClock.now - started > .seconds(60) ? 0 : failures + 1
            restarts += 1
            try await Task.sleep(for: pauses[min(max(failures - 1, 0), pauses.count - 1)])
        }
    }

    /// Creates the slot when missing; drops and re-creates it when the primary invalidated it.
    /// Returns true when the archive must start afresh (the slot had lost its WAL).
    func prepareSlot() async throws -> Bool {
        let name = slot
        let walStatus = try await PostgresConnection.withConnection(primary.connection()) { connection in
            try connection.query("SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1", [name]).rows.first?[0]
        }
        if walStatus == "lost" {
            logger.warning("the WAL slot was invalidated by the primary (max_slot_wal_keep_size); making it again, the archive will show a gap", metadata: [LogKey.slot: "\(name)"])
            try await PostgresConnection.withConnection(primary.connection(replication: true)) { try $0.dropSlot(name) }
        }
        if walStatus == nil || walStatus == "lost" {
            try await PostgresConnection.withConnection(primary.connection(replication: true)) { connection in
                do throws(PostgresError) { try connection.createPhysicalSlot(name) } catch where error.sqlState == "42710" {}
            }
            logger.info("created the WAL slot", metadata: [LogKey.slot: "\(name)"])
        }
        return walStatus == "lost"
    }

    /// Moves every segment in `.wal/` into `.wal/<stamp>/` so pg_receivewal starts afresh.
    func setAsideSegments() throws {
        let manager = FileManager.default
        // Segment size 1: any 24-hex-digit name counts, whatever the server's wal_segment_size.
        let names = try manager.contentsOfDirectory(atPath: layout.walDirectory).filter { WalSegment(fileName: $0, segmentSize: 1) != nil }
        guard !names.isEmpty else { return }
        let target = layout.walDirectory + "/" + ArchiveLayout.baseName(at: Date())
        try manager.createDirectory(atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in names { try manager.moveItem(atPath: layout.walDirectory + "/" + name, toPath: target + "/" + name) }
        SecureFile.syncDirectory(of: target + "/x")
        SecureFile.syncDirectory(of: target)
        logger.warning("set the WAL on disk aside; streaming restarts at the primary's current position", metadata: [LogKey.path: "\(target)"])
    }

    /// pg_receivewal fills a new segment with zeros before it writes WAL into it. Stopped while
    /// it does (pg_receivewal 13 dies at SIGTERM; SIGKILL, a full disk), it leaves a `.partial`
    /// shorter than a segment, which it then refuses at every start ("… has 8355840 bytes,
    /// should be 0 or 16777216"): the archive would stay down. Such a file holds only zeros, no
    /// WAL: it is removed, and pg_receivewal streams that segment again from the slot. A short
    /// file that holds anything but zeros is left alone (pg_receivewal's error names it).
    func removeInterruptedPartials() async throws {
        guard let segmentSize = try await PostgresConnection.withConnection(primary.connection(), { try $0.walSegmentSize() }) else { return }
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: layout.walDirectory)) ?? [] where name.hasSuffix(".partial") {
            let path = layout.walDirectory + "/" + name
            guard WalSegment(fileName: String(name.dropLast(".partial".count)), segmentSize: segmentSize) != nil,
                  let size = (try? manager.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value,
                  size > 0, size < segmentSize, let data = manager.contents(atPath: path), data.allSatisfy({ $0 == 0 }) else { continue }
            try manager.removeItem(atPath: path)
            SecureFile.syncDirectory(of: path)
            logger.warning("removed a WAL file that pg_receivewal had begun to fill with zeros when it was stopped (it holds no WAL); streaming that segment again",
                           metadata: [LogKey.path: "\(path)", "bytes": "\(size)"])
        }
    }

    /// Runs pg_receivewal until it exits, keeping the status file fresh while it streams.
    func stream(status: inout ReceiverStatus, restarts: Int) async throws {
        var child = ChildProcess(try tools.require("pg_receivewal"), [
            "-D", layout.walDirectory, "--slot", slot, "--synchronous", "--status-interval=1", "--no-loop", "--no-password", "--verbose",
        ])
        child.connect(to: primary.connection(), application: Self.applicationName)
        child.gracePeriod = .seconds(10)
        let receiver = child
        let streaming = progress
        streaming.stopped()
        let logger = self.logger
        let previous = status
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await receiver.run(onOutput: { _ in }, onStderrLine: { line in
                    if line.contains("starting log streaming") { streaming.started() }
                    logger.info("pg_receivewal: \(line.replacingOccurrences(of: "pg_receivewal: ", with: ""))")
                })
            }
            group.addTask { try await confirmLoop(restarts: restarts, lastError: previous.lastError) }
            defer { group.cancelAll() }
            try await group.next()
        }
        status = ReceiverStatus(state: .down, since: Date(), updatedAt: Date(), restarts: restarts, streamedUntil: progress.streamedUntil)
    }

    /// While pg_receivewal streams, every second: asks the primary for its flush position
    /// and for the receiver's, and confirms the moment of the newest earlier question whose
    /// position the receiver has flushed. So ``ReceiverStatus/streamedUntil`` never runs ahead of
    /// the WAL on disk, also while the receiver catches up after an outage.
    func confirmLoop(restarts: Int, lastError: String?) async throws {
        var since: Date?
        var pending: [(asked: Date, lsn: UInt64)] = []
        var parameters = primary.connection(timeoutSeconds: 5)
        parameters.applicationName = Self.confirmApplicationName
        // A question that takes more than 5 s is not answered in time to be of use: 15 s at most (``ResultPoller``).
        parameters.statementTimeoutSeconds = 5
        let primaryConnection = HeldConnection(parameters)
        defer { primaryConnection.close() }
        while true {
            try await Task.sleep(for: .seconds(1))
            guard progress.isStreaming else { continue }
            let asked = Date()
            guard let (current, flushed) = await positions(primaryConnection) else { continue }
            pending.append((asked, current))
            if let confirmed = pending.last(where: { $0.lsn <= flushed }) {
                pending.removeAll { $0.asked <= confirmed.asked }
                progress.confirm(confirmed.asked)
                if since == nil { since = confirmed.asked }
                ReceiverStatus(state: .streaming, since: since!, updatedAt: Date(), lastError: lastError, restarts: restarts,
                               streamedUntil: confirmed.asked).save(layout)
            }
            if pending.count > 100 { pending.removeFirst(pending.count - 100) }
        }
    }

    /// The `application_name` of pg_receivewal's replication connection (in the primary's
    /// `pg_stat_replication`).
    public static let applicationName = "laterbase-wal-receiver"
    /// The `application_name` of the confirm loop's connection to the primary.
    static let confirmApplicationName = "laterbase-wal-confirm"

    /// The primary's WAL flush position and the one this receiver reported (0 when not listed).
    private func positions(_ connection: HeldConnection) async -> (current: UInt64, flushed: UInt64)? {
        let sql = "SELECT pg_current_wal_flush_lsn()::text, (SELECT flush_lsn::text FROM pg_stat_replication"
            + " WHERE application_name = \(SQLQuoting.literal(Self.applicationName)) ORDER BY backend_start DESC LIMIT 1)"
        guard let row = await connection.firstRow(sql), let current = row[0].flatMap({ LSN.parse($0) }) else { return nil }
        return (current, row[1].flatMap { LSN.parse($0) } ?? 0)
    }
}
