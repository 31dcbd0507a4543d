import Foundation
import LaterbaseCore
import Logging
import Synchronization

/// Runs the plain SQL of a `pg_dump` (a dump file's reader, or `restore --at`'s pg_dump of the
/// scratch server) into a new library over `jobs` psql sessions (``RestoreTarget/jobs``), as `pg_restore -j` does for its own format:
/// 1. the preamble and the pre-data section (tables, sequences, functions, views) on one session;
/// 2. the COPY blocks of the data section, each whole block on one of `jobs` sessions (the one
///    given the fewest bytes so far), each fed through a ``ByteChannel`` so the decoder runs on
///    while a session is busy; other data entries (sequence values) on the first;
/// 3. the post-data section's indexes and primary/unique constraints on `jobs` sessions, the
///    largest tables' first, each to the session with the least work (by the bytes of its tables);
/// 4. everything else of post-data (foreign keys — which need the keys they reference — triggers,
///    comments, grants) on one session, in dump order.
/// Each step starts when the one before has ended. Nothing runs in one transaction: the library
/// is a NEW database under a working name (``NewLibrary``), dropped when anything fails, so a
/// failure anywhere stops every session (``abort()``) and the caller drops it.
/// With ``Alongside`` (`restore --at`'s ``BinaryCopy``), its tables' rows are copied during step 2,
/// beside the COPY blocks, and step 3 waits for them.
/// Memory: the channels hold at most `jobs` × ``channelLimit``; post-data is text, held until step 3.
actor ParallelFeed {
    /// Rows copied beside the dump: `tables` (names as pg_dump writes them) must not appear in
    /// it; `run` starts once the pre-data section has run and returns each table's bytes.
    struct Alongside: Sendable {
        let tables: Set<String>
        let run: @Sendable () async throws -> [String: Int64]
    }

    let library: NewLibrary
    let jobs: Int
    /// What each session holds queued at most.
    static let channelLimit = 16 << 20

    private var splitter = DumpSplitter()
    private var stage = Stage.pre
    private var pre: Worker?
    private var dataWorkers: [Worker] = []
    private var copying: (worker: Worker, table: String)?
    private var tableBytes: [String: Int64] = [:]
    private var builds: [(table: String?, text: [UInt8])] = []
    private var rest: [UInt8] = []
    private var started: [Worker] = []
    private let alongside: Alongside?
    /// Until its rows are in (then nil).
    private var alongsideTask: Task<[String: Int64], any Error>?
    private var dumpEnded = false
    /// One element each time a session fails: a reader that waits for nothing else (`restore
    /// --at`'s pg_dump, which may be slow to write more) stops at once (``firstFailure()``).
    nonisolated let failures: AsyncStream<Void>
    private let failed: AsyncStream<Void>.Continuation

    private enum Stage { case pre, data, post }

    /// Fills `library` with what `produce` hands the feed (``consume(_:)``), then runs what is
    /// left (``finish()``); when anything throws, every session is stopped first (``abort()``).
    static func fill(_ library: NewLibrary, alongside: Alongside? = nil, _ produce: (ParallelFeed) async throws -> Void) async throws {
        let feed = ParallelFeed(library: library, alongside: alongside)
        do {
            try await produce(feed)
            try await feed.finish()
        } catch {
            await feed.abort()
            throw error
        }
    }

    init(library: NewLibrary, alongside: Alongside? = nil) {
        self.library = library
        self.alongside = alongside
        self.jobs = library.target.jobs
        (failures, failed) = AsyncStream<Void>.makeStream()
    }

    /// The first failed session's error (psql's exit and its last lines), once it has ended.
    func firstFailure() async -> (any Error)? {
        if let worker = started.first(where: \.channel.isFailed) {
            do { try await worker.task.value } catch { return error }
            return nil
        }
        // No session failed: the copy alongside did, and has ended.
        if let alongsideTask { do { _ = try await alongsideTask.value } catch { return error } }
        return nil
    }

    /// The dump ended: what the splitter still holds is dispatched, and the rows copied alongside
    /// are waited for (they start now if the dump held no rows). Idempotent. The caller lets the
    /// scratch server go only after this.
    func endOfDump() async throws {
        guard !dumpEnded else { return }
        dumpEnded = true
        for piece in splitter.finish() { try await dispatch(piece) }
        try await leavePre()
        try await awaitAlongside()
    }

    private func awaitAlongside() async throws {
        guard let task = alongsideTask else { return }
        let bytes = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        alongsideTask = nil
        tableBytes.merge(bytes) { $0 + $1 }
    }

    /// The next bytes of the dump.
    func consume(_ chunk: [UInt8]) async throws {
        for piece in splitter.feed(chunk) { try await dispatch(piece) }
    }

    /// The dump ended: runs what is left (steps 3 and 4) and waits for every session.
    /// - Throws: the first session's failure (psql's exit and its last lines).
    func finish() async throws {
        try await endOfDump()
        try await enter(.post)
        if !builds.isEmpty {
            let workers = try (0..<min(jobs, builds.count)).map { _ in try start(limit: Int.max, setup: splitter.sessionSetup) }
            var load = [Int64](repeating: 0, count: workers.count)
            let weighted = builds.map { (weight: $0.table.flatMap { tableBytes[$0] } ?? 0, text: $0.text) }
            for build in weighted.sorted(by: { $0.weight > $1.weight }) {
                let least = load.indices.min { load[$0] < load[$1] }!
                load[least] += build.weight + 1
                try await workers[least].send(build.text)
            }
            try await finishAll(workers)
        }
        if !rest.isEmpty {
            let last = try start(limit: Int.max, setup: splitter.sessionSetup)
            try await last.send(rest)
            try await finishAll([last])
        }
    }

    /// Stops every session still running and waits until each has exited.
    func abort() async {
        alongsideTask?.cancel()
        for worker in started { worker.abort() }
        for worker in started { _ = try? await worker.task.value }
        _ = try? await alongsideTask?.value
    }

    private func dispatch(_ piece: DumpSplitter.Piece) async throws {
        // A session that stopped (an SQL error): its reason now, not at the end of the dump.
        if let failed = started.first(where: \.channel.isFailed) { try await failed.task.value }
        switch piece {
        case .text(.preamble, let text), .text(.preData, let text):
            switch stage {
            case .pre: try await preWorker().send(text)
            case .data: try await dataWorkers[0].send(text)
            case .post: rest += text
            }
        case .text(.data, let text):
            try await enter(.data)
            try await dataWorkers[0].send(text)
        case .text(.postData(let type), let text):
            try await enter(.post)
            if type == "INDEX" || type == "CONSTRAINT" {
                builds.append((DumpSplitter.builtOn(text), text))
            } else {
                rest += text
            }
        case .copyStart(let table, let text):
            try await enter(.data)
            if alongside?.tables.contains(table) == true {
                throw RestoreError(.failed, "pg_dump wrote the rows of \(table), which are copied as binary beside it: they would be loaded twice")
            }
            let worker = dataWorkers.min { $0.assigned < $1.assigned }!
            copying = (worker, table)
            try await worker.send(text)
        case .copyData(let bytes):
            guard let (worker, table) = copying else { return }
            tableBytes[table, default: 0] += Int64(bytes.count)
            try await worker.send(bytes)
        case .copyEnd(let text):
            try await copying?.worker.send(text)
            copying = nil
        }
    }

    private func preWorker() throws -> Worker {
        if let pre { return pre }
        let made = try start(limit: Self.channelLimit, setup: [])
        pre = made
        return made
    }

    /// Ends the stages before `next` (waiting for their sessions) and starts `next`'s.
    private func enter(_ next: Stage) async throws {
        if next != .pre { try await leavePre() }
        if stage == .data, next == .data, dataWorkers.isEmpty {
            dataWorkers = try (0..<jobs).map { _ in try start(limit: Self.channelLimit, setup: splitter.sessionSetup) }
        }
        if stage == .data, next == .post {
            try await finishAll(dataWorkers)
            try await awaitAlongside()
            stage = .post
        }
    }

    /// Waits for the pre-data session: the tables exist, so the rows copied alongside start.
    private func leavePre() async throws {
        guard stage == .pre else { return }
        if let pre { try await finishAll([pre]) }
        stage = .data
        guard let alongside else { return }
        let failed = failed
        alongsideTask = Task {
            do { return try await alongside.run() } catch {
                failed.yield()
                throw error
            }
        }
    }

    private func start(limit: Int, setup: [UInt8]) throws -> Worker {
        let worker = Worker(psql: try library.target.psql(into: library.workingName, singleTransaction: false), setup: setup, limit: limit, failed: failed)
        started.append(worker)
        return worker
    }

    /// Closes every session's input and waits for all; the first failure is thrown. Cancelled
    /// (SIGTERM, Cancel in the console), every session is stopped at once.
    private func finishAll(_ workers: [Worker]) async throws {
        for worker in workers { worker.channel.close() }
        try await withTaskCancellationHandler {
            for worker in workers { try await worker.task.value }
        } onCancel: {
            for worker in workers { worker.abort() }
        }
        try Task.checkCancellation()
    }

    /// One psql session, fed from its channel on a task of its own.
    final class Worker: Sendable {
        let channel: ByteChannel
        let task: Task<Void, any Error>
        private let fed = Atomic<Int64>(0)

        /// Bytes given to this session so far.
        var assigned: Int64 { fed.load(ordering: .relaxed) }

        init(psql: ChildProcess, setup: [UInt8], limit: Int, failed: AsyncStream<Void>.Continuation) {
            let channel = ByteChannel(limit: limit)
            self.channel = channel
            task = Task {
                do {
                    try await psql.run(feeding: { write in
                        if !setup.isEmpty { try await write(setup) }
                        while let chunk = await channel.receive() { try await write(chunk) }
                    }, onOutput: { _ in })
                } catch {
                    channel.fail()
                    failed.yield()
                    throw error
                }
            }
        }

        /// Queues `bytes`; when the session has failed, throws its failure.
        func send(_ bytes: [UInt8]) async throws {
            fed.add(Int64(bytes.count), ordering: .relaxed)
            do {
                try await channel.send(bytes)
            } catch {
                if Task.isCancelled { throw error }
                try await task.value  // psql's own error; it has ended or is ending
                throw error
            }
        }

        func abort() {
            channel.fail()
            task.cancel()
        }
    }
}
