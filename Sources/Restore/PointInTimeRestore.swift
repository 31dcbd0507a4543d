import Backups
import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// `backup-agent restore --db NAME --at TIME --as NEWDB`: one library as it was at TIME, restored
/// into a new database beside the live one.
///
/// Picks the newest base backup that ended before TIME and whose WAL reaches TIME
/// (``UndoWindow``), unpacks it into a ``ScratchCluster`` with the server programs of its major
/// version, copies the WAL from the base backup's start to just past TIME (a `.partial` under
/// its final name), replays with `recovery_target_time` and `recovery_target_action=pause`,
/// then streams `pg_dump` of NAME into a ``NewLibrary`` (new UTF8 database from template0, dropped
/// again on failure; ``PointInTimeSource``). The scratch cluster is removed whatever happens, cancellation included.
public struct PointInTimeRestore: Sendable {
    public let layout: ArchiveLayout
    public let target: RestoreTarget
    /// The role pg_dump uses on the scratch server (PRIMARY_USER: it exists in the copy).
    public let user: String
    /// How long replay may take before the restore gives up.
    public var replayTimeoutSeconds = 3600
    /// Told each phase as it begins ("unpacking the base backup …", "replaying WAL to …",
    /// "copying the library into the new database"): the console's restore job shows it.
    public var phase: @Sendable (String) -> Void = { _ in }
    public var logger: Logger { target.logger }

    public init(layout: ArchiveLayout, target: RestoreTarget, user: String) {
        self.layout = layout
        self.target = target
        self.user = user
    }

    /// Runs the restore: the new library is checked, made beside the replay and filled by
    /// ``PointInTimeSource``, and dropped again when anything fails, replay included.
    /// Throws ``ArchiveError`` (one line) for every refusal, ``RestoreError`` from the restore itself.
    @discardableResult
    public func run(database: String, at time: Date, as newDatabase: String, now: Date = Date()) async throws -> RestoredLibrary {
        let library = try await target.newLibrary(named: newDatabase)
        return try await library.restore(from: PointInTimeSource(restore: self, database: database, time: time, now: now))
    }

    /// The library's name at TIME must still be the database whose files were unpacked
    /// (``SelectiveUnpack/kept``): after a rename or a re-creation since the base backup it is
    /// another folder, and the restore unpacks everything instead. A name not there at all is
    /// left to the copy's "no library" refusal (`pg_database` is shared, so it is always whole).
    static func requireKept(_ database: String, _ selective: SelectiveUnpack, on server: ConnectionParameters, at time: Date) async throws {
        let oid = try await PostgresConnection.withConnection(server) { connection in
            try connection.query("SELECT oid FROM pg_database WHERE datname = $1", [database]).scalar.flatMap(UInt32.init)
        }
        if let oid, oid != selective.kept {
            throw UnpackEverything(reason: "at \(UndoWindow.text(time)) the library \(database) is the database \(oid), not \(selective.kept) as in the base backup (renamed or made again since)")
        }
    }

    /// `list --project NAME --at TIME`: the projects ``ProjectMatcher`` finds for `name` in every
    /// Resolve library as it was at `time`, with their folder and last-saved time then.
    public func projects(named name: String, at time: Date, now: Date = Date()) async throws -> [(library: String, project: ResolveProject)] {
        try await withServer(at: time, now: now, purpose: "reading the project list at a point in time") { scratch, _, _ in
            let libraries = try await PostgresConnection.withConnection(scratch.connection(user: user)) { connection in
                try connection.query("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1").rows.compactMap { $0[0] }
            }
            var found: [(library: String, project: ResolveProject)] = []
            for library in libraries {
                let projects = try await PostgresConnection.withConnection(scratch.connection(user: user, database: library)) { connection in
                    try connection.isResolveLibrary() ? connection.resolveCatalog().projects : []
                }
                found += ProjectMatcher(name).select(projects, name: \.name).map { (library, $0) }
            }
            return found
        }
    }

    /// Replays the archive to `time` in a scratch server, runs `body` with it and removes the
    /// server whatever happens (cancellation included).
    /// `body` may start the removal early (``ScratchRemoval/begin()``) once it no longer needs the server.
    /// `alongside` runs beside the unpack and the replay; both must succeed before `body`.
    /// With `library`, only that library is unpacked when the base backup allows it
    /// (``SelectiveUnpack``, passed to `body`); when the scratch server stops during that replay,
    /// or `body` throws ``UnpackEverything``, everything is unpacked and replayed once more
    /// (`alongside` and `body` run again).
    func withServer<T: Sendable>(at time: Date, now: Date, purpose: String, library: String? = nil, alongside: (@Sendable () async throws -> Void)? = nil,
                                 _ body: (ScratchCluster, ScratchRemoval, SelectiveUnpack?) async throws -> T) async throws -> T {
        let snapshot = UndoWindowSnapshot(layout: layout, now: now)
        let (bases, wal) = (snapshot.bases, snapshot.wal)
        let span = try snapshot.window.base(for: time).get()
        guard let base = bases.first(where: { $0.name == span.base }), let start = base.manifest.startSegment,
              let major = PostgresMajorVersion(serverVersionNumber: base.manifest.serverVersionNumber) else {
            throw ArchiveError(.badBaseBackup, "the base backup for \(UndoWindow.text(time)) has an unreadable manifest")
        }
        let needed = Self.segments(wal, from: start.number, through: span.lastSegment?.number, covering: time)
        // The rest of the unbroken run, for when the files chosen by their times do not reach TIME.
        let rest = Array(Self.segments(wal, from: start.number, through: span.lastSegment?.number, covering: .distantFuture).dropFirst(needed.count))
        let binaries = try await ServerPrograms.directory(major: major, tools: target.tools)
        let pass = ReplayPass(base: base, needed: needed, rest: rest, binaries: binaries, time: time, purpose: purpose, library: library)
        guard let library, let selective = SelectiveUnpack.plan(base.manifest, keeping: library) else {
            return try await serve(pass, selective: nil, alongside: alongside, body)
        }
        do {
            return try await serve(pass, selective: selective, alongside: alongside, body)
        } catch let error where Self.unpackEverything(after: error) && !Task.isCancelled {
            logger.warning("replay with only one library unpacked did not work; unpacking the whole base backup and replaying again",
                           metadata: ["reason": "\(oneLine(error))"])
            return try await serve(pass, selective: nil, alongside: alongside, body)
        }
    }

    /// Whether a pass with one library unpacked failed in a way that a pass with everything may not.
    static func unpackEverything(after error: any Error) -> Bool {
        error is UnpackEverything || (error as? ArchiveError)?.code == .scratchStopped
    }

    /// What one pass of ``serve(_:selective:alongside:_:)`` replays.
    struct ReplayPass: Sendable {
        let base: StoredBaseBackup
        let needed: [WalFile]
        let rest: [WalFile]
        let binaries: String
        let time: Date
        let purpose: String
        let library: String?
    }

    /// One pass: checks the disk, makes the scratch server, replays, runs `body`, removes the server.
    private func serve<T: Sendable>(_ pass: ReplayPass, selective: SelectiveUnpack?, alongside: (@Sendable () async throws -> Void)?,
                                    _ body: (ScratchCluster, ScratchRemoval, SelectiveUnpack?) async throws -> T) async throws -> T {
        let (base, needed, rest, time) = (pass.base, pass.needed, pass.rest, pass.time)
        // First: a folder left by a killed restore would count against the space.
        await ScratchCluster.removeAbandoned(in: layout)
        // Read once: for the space and for the zero-filled files.
        let files = FileManager.default.contents(atPath: base.path + "/backup_manifest").flatMap(SelectiveUnpack.files(fromBackupManifest:))
        if selective != nil && files == nil {
            throw ArchiveError(.badBaseBackup, "the base backup \(base.path) has no readable backup_manifest")
        }
        try requireSpace(files: files, for: base, library: selective.flatMap { _ in pass.library }, selective: selective, staged: needed)
        let (scratch, lock) = try ScratchCluster.create(in: layout, binaries: pass.binaries)
        defer {
            lock?.release()
            unlink(scratch.root + ".lock")
        }
        var metadata: Logger.Metadata = [
            "at": "\(UndoWindow.text(time))", "base": "\(base.name)", "segments": "\(needed.count)", LogKey.path: "\(scratch.root)",
        ]
        if let selective { metadata["zero_filled_libraries"] = "\(selective.zeroed.count)" }
        logger.info("\(pass.purpose)", metadata: metadata)
        let removal = ScratchRemoval(scratch)
        do {
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let alongside { group.addTask { try await alongside() } }
                group.addTask { try await replay(base, needed, rest: rest, into: scratch, target: time, selective: selective, files: files ?? []) }
                // Not waitForAll(): it lets the others run on after one fails; throwing from here cancels them.
                while try await group.next() != nil {}
            }
            logger.info("replay reached the target", metadata: [LogKey.seconds: "\(Self.seconds(ContinuousClock.now - started))"])
            phase("copying the library into the new database")
            let result = try await body(scratch, removal, selective)
            let removing = ContinuousClock.now
            await removal.finish()
            logger.debug("restore phase", metadata: ["phase": "remove (after the copy)", LogKey.seconds: "\(Self.seconds(ContinuousClock.now - removing))"])
            return result
        } catch {
            // Not cancellable: it is the clean-up of an interrupted restore.
            await removal.finish()
            throw error
        }
    }

    /// Refuses (one line) when the scratch server would leave BACKUP_DIR short of space (``ScratchSpace``).
    /// - Parameter files: the base backup's `backup_manifest` (no check without it); `library`: the one unpacked, if only one is.
    private func requireSpace(files: [(path: String, size: Int64)]?, for base: StoredBaseBackup, library: String?, selective: SelectiveUnpack?,
                              staged: [WalFile]) throws {
        guard let files, let free = ScratchSpace.free(at: layout.root) else { return }
        let space = ScratchSpace.estimate(files: files, base: base.manifest, selective: selective, staged: staged)
        if let refusal = space.refusal(available: free.available, capacity: free.capacity, directory: layout.root, library: library) {
            throw ArchiveError(.scratch, refusal)
        }
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.seconds)
    }

    /// The archive files replay needs: from the base backup's start segment up to the first
    /// segment written at or after `time`, one more for the commit that ends replay, never past
    /// `last` (the end of the unbroken run). Every timeline's file of the last number is
    /// included: after a promote the server takes a number from the newest timeline that has it. Pure.
    public static func segments(_ wal: [WalFile], from first: UInt64, through last: UInt64?, covering time: Date) -> [WalFile] {
        var result: [WalFile] = []
        var extra = 2
        var final: UInt64?
        for file in wal.sorted(by: { $0.segment < $1.segment }) where file.segment.number >= first {
            if let last, file.segment.number > last { break }
            if let final, file.segment.number != final { break }
            result.append(file)
            guard final == nil else { continue }
            if file.modified >= time { extra -= 1 }
            if extra == 0 { final = file.segment.number }
        }
        return result
    }

    /// pg_dump of `database` on the scratch server into `library` (``LibraryCopy``), with several
    /// sessions the rows of most tables as binary COPY beside it (``BinaryCopy``).
    func copyLibrary(_ database: String, from scratch: ScratchCluster, at time: Date, into library: NewLibrary, source: some RestoreSource,
                     dumped: @escaping @Sendable () async -> Void = {}) async throws {
        let server = scratch.connection(user: user, database: database)
        let names = try await PostgresConnection.withConnection(scratch.connection(user: user)) { connection in
            try connection.query("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1").rows.compactMap { $0[0] }
        }
        guard names.contains(database) else {
            throw ArchiveError(.unknownLibrary, "no library \"\(database)\" on the server at \(UndoWindow.text(time)) (libraries then: \(names.joined(separator: ", ")))")
        }
        // Several sessions: the rows of most tables as binary COPY beside pg_dump (BinaryCopy).
        let binary = library.target.jobs > 1 ? try await BinaryCopy.plan(source: server, target: library.target.server) : nil
        var dump = ChildProcess(scratch.binaries + "/pg_dump", ["--no-password", "--format=plain", "--encoding=UTF8", "--no-sync"] + (binary?.excludeArguments ?? []))
        dump.connect(to: server, application: "laterbase-restore-at")
        var copy = LibraryCopy(dump: dump, fifo: scratch.root + "/dump.fifo")
        copy.binary = binary
        copy.sourceGone = { scratch.isRunning() ? nil : scratch.stopReason() }
        let phase = self.phase
        copy.copied = { before, after in
            // At each 4 MiB: the text is for a page that reloads every 2 s.
            if before >> 22 != after >> 22 { phase("copying the library into the new database: \(ByteText.text(after)) so far") }
        }
        try await copy.run(into: library, from: source, dumped: dumped)
    }
}

/// Thrown by a pass with one library unpacked when the library at TIME is not the one unpacked.
struct UnpackEverything: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// Removes a ``ScratchCluster`` once, started early by whoever no longer needs it (the copy,
/// once pg_dump is done, while psql still builds indexes) or at the end; ``finish()`` waits.
actor ScratchRemoval {
    private let scratch: ScratchCluster
    private var task: Task<Void, Never>?

    init(_ scratch: ScratchCluster) { self.scratch = scratch }

    /// Starts the removal in the background (not cancellable: it is a clean-up); idempotent.
    func begin() {
        if task == nil {
            let scratch = self.scratch
            task = Task.detached { await scratch.remove() }
        }
    }

    /// Starts the removal if needed and waits until the server is stopped and the folder gone.
    func finish() async {
        begin()
        await task?.value
    }
}
