import Foundation
import Synchronization
import LaterbaseCore
import Logging
import UndoWindow

/// The copy step of `restore --at`: `pg_dump` of one library on the scratch server into a new
/// ``NewLibrary`` (``PointInTimeSource`` makes it while it replays), with its guarantees
/// (``NewLibrary/fill(from:_:)``): the new database dropped again when anything fails.
///
/// With several sessions (``RestoreTarget/jobs``, `RESTORE_JOBS`) pg_dump writes to the agent,
/// which feeds ``ParallelFeed`` as a dump file's restore does: data of several tables and every
/// index build at once. A session that fails stops pg_dump and is told; pg_dump failing on its
/// own is told (or why the scratch server is gone), and every session is stopped.
///
/// With one (`RESTORE_JOBS=1`), the dump does not pass through the agent: pg_dump writes into a
/// FIFO in the scratch folder and `psql --single-transaction` reads it (`-f FIFO`); the kernel
/// moves the bytes. The agent watches both ends:
/// - psql fails (an SQL error, or it cannot connect) → pg_dump is stopped (it may wait for the
///   FIFO's reader) and psql's reason is told;
/// - pg_dump fails because psql stopped reading (SIGPIPE, "Broken pipe") → psql's reason is told;
/// - pg_dump fails otherwise → psql is stopped at once, before it can commit what it read, and
///   pg_dump's reason is told; the database is dropped in every case.
struct LibraryCopy: Sendable {
    let dump: ChildProcess
    /// The FIFO's path, made by ``run(into:from:dumped:)`` and removed after it.
    let fifo: String
    /// When pg_dump fails on its own: why the server it reads is gone, or nil while it runs (then
    /// pg_dump's own reason is told). Its "server closed the connection unexpectedly" does not say
    /// which server: the Resolve server is fine when the scratch server is what stopped.
    var sourceGone: @Sendable () -> String? = { nil }
    /// Told the bytes of SQL copied before and after each chunk (parallel copies only: with one
    /// session the bytes go from pg_dump to psql through the FIFO, past the agent).
    var copied: (@Sendable (_ before: Int64, _ after: Int64) -> Void)?
    /// Tables whose rows go as binary COPY beside pg_dump (parallel copies only), which was told
    /// to leave them out (``BinaryCopy/excludeArguments``).
    var binary: BinaryCopy?

    /// `dumped` runs once pg_dump has written everything (psql may still be building indexes).
    /// `library` is made first unless it exists already (``NewLibrary/create(connectable:cancellable:)``).
    func run(into library: NewLibrary, from source: some RestoreSource, dumped: @escaping @Sendable () async -> Void) async throws {
        if library.target.jobs > 1 {
            try await library.fill(from: source) {
                try await parallelCopy(into: library, dumped: dumped)
            }
            return
        }
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else {
            throw ArchiveError(.scratch, "cannot make the FIFO \(fifo) for the copy: \(String(cString: strerror(errno)))")
        }
        defer { unlink(fifo) }
        try await library.fill(from: source) {
            try await copy(into: library, dumped: dumped)
        }
    }

    /// pg_dump → the agent → ``ParallelFeed``.
    private func parallelCopy(into library: NewLibrary, dumped: @escaping @Sendable () async -> Void) async throws {
        let (copied, total) = (copied, CopiedBytes())
        let count: @Sendable (Int) -> Void = { bytes in
            let after = total.value.add(Int64(bytes), ordering: .relaxed).newValue
            copied?(after - Int64(bytes), after)
        }
        let alongside = binary.map { binary in
            ParallelFeed.Alongside(tables: Set(binary.tables.map(\.name))) {
                try await binary.run(into: library.target.server.with(database: library.workingName), jobs: library.target.jobs, moved: count)
            }
        }
        try await ParallelFeed.fill(library, alongside: alongside) { feed in
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await dump.run(onOutput: { chunk in
                            try await feed.consume(chunk)
                            count(chunk.count)
                        })
                        // The scratch server is let go only when nothing reads it any more; a
                        // session failing meanwhile is still told at once (the task below).
                        try await feed.endOfDump()
                    }
                    // A session that failed stops pg_dump at once, whether or not it writes on.
                    group.addTask {
                        for await _ in feed.failures {
                            throw await feed.firstFailure() ?? CancellationError()
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch where readsScratch(error) {
                if let gone = sourceGone() { throw ArchiveError(.scratchStopped, "the scratch server stopped during the copy: \(gone)") }
                throw error
            }
            await dumped()
        }
    }

    /// Whether `error` is the failure of what reads the scratch server: pg_dump's own (a
    /// session's is thrown by `consume`, as it is) or the binary copy's (not a cancel).
    private func readsScratch(_ error: any Error) -> Bool {
        if let failed = error as? ChildProcessError { return failed.tool == dump.toolName }
        if let failed = error as? PostgresError { return failed.kind != .cancelled }
        return false
    }

    /// pg_dump ended because the FIFO lost its reader: killed by SIGPIPE or "Broken pipe".
    static func lostReader(_ error: any Error) -> Bool {
        (error as? ChildProcessError)?.status == "signaled(13)" || "\(error)".contains("Broken pipe")
    }

    private enum End: Sendable {
        case psql((any Error)?)
        case dump((any Error)?)
    }

    private func copy(into library: NewLibrary, dumped: @escaping @Sendable () async -> Void) async throws {
        let psql = try library.target.psql(into: library.workingName, reading: fifo)
        var dump = self.dump
        dump.arguments += ["--file=\(fifo)"]
        let (reader, writer) = (psql, dump)
        try await withThrowingTaskGroup(of: End.self) { group in
            group.addTask {
                do { try await reader.run(onOutput: { _ in }) } catch { return .psql(error) }
                return .psql(nil)
            }
            group.addTask {
                do { try await writer.run(onOutput: { _ in }) } catch { return .dump(error) }
                return .dump(nil)
            }
            var failures: (psql: (any Error)?, dump: (any Error)?) = (nil, nil)
            var stoppedForDump = false
            while let end = try await group.next() {
                switch end {
                case .psql(let error?):
                    failures.psql = error
                    group.cancelAll()
                case .dump(let error?):
                    failures.dump = error
                    if !Self.lostReader(error) && failures.psql == nil {
                        stoppedForDump = true
                        group.cancelAll()
                    }
                case .dump(nil):
                    await dumped()
                case .psql(nil):
                    break
                }
            }
            // The reason to tell: the end that failed first on its own.
            if stoppedForDump, let error = failures.dump {
                if let gone = sourceGone() { throw ArchiveError(.scratchStopped, "the scratch server stopped during the copy: \(gone)") }
                throw error
            }
            if let error = failures.psql ?? failures.dump { throw error }
        }
    }
}

/// The bytes a parallel copy passed on so far.
private final class CopiedBytes: Sendable {
    let value = Atomic<Int64>(0)
}
