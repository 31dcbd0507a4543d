import Foundation

/// The copy step of `restore --at`: `pg_dump` of one library on the scratch server into the new
/// database through ``RestoreJob`` (UTF8 from template0, `psql --single-transaction`, dropped
/// again on failure).
///
/// The dump does not pass through the agent: pg_dump writes into a FIFO in the scratch folder
/// and psql reads it with `\i`, the only line the agent writes to psql. The kernel moves the
/// bytes; the agent only watches both ends:
/// - pg_dump fails → the error is thrown, so RestoreJob stops psql and drops the database;
/// - psql fails (its input closes) → pg_dump is stopped and psql's own reason is reported;
/// - after RestoreJob returns, a failed pg_dump still drops the database (psql may have
///   committed what it had read before the FIFO ended).
struct LibraryCopy: Sendable {
    let dump: ChildProcess
    /// The FIFO's path, made by ``run(job:into:label:logFile:dumped:)`` and removed after it.
    let fifo: String

    /// `dumped` runs once pg_dump has written everything (psql may still be building indexes).
    func run(job: RestoreJob, into database: String, label: String, logFile: String,
             dumped: @escaping @Sendable () async -> Void) async throws {
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else {
            throw ArchiveError(.scratch, "cannot make the FIFO \(fifo) for the copy: \(String(cString: strerror(errno)))")
        }
        defer { unlink(fifo) }
        let outcome = DumpOutcome()
        var dump = self.dump
        dump.arguments += ["--file=\(fifo)"]
        let pgDump = dump
        let include = Array("\\i \(Self.psqlQuoted(fifo))\n".utf8)
        try await job.restore(into: database, label: label, logFile: logFile) { write in
            try await withoutActuallyEscaping(write) { write in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await pgDump.run(onOutput: { _ in })
                            outcome.succeed()
                        } catch {
                            outcome.fail(error)
                        }
                    }
                    group.addTask {
                        try await write(include)
                        // psql reads this pipe again only after `\i` has ended; a write that fails
                        // (InputClosed) tells that psql has stopped.
                        while true {
                            try await Task.sleep(for: .milliseconds(200))
                            try await write([0x0A])
                        }
                    }
                    do {
                        try await group.next()
                    } catch is InputClosed {
                        // psql stopped (it failed: its input is still open). pg_dump, blocked
                        // without a reader, is stopped after a moment; psql's reason is told.
                        group.addTask { try await Task.sleep(for: .seconds(2)) }
                        _ = try? await group.next()
                        group.cancelAll()
                        throw InputClosed()
                    }
                    if let error = outcome.error {
                        // pg_dump failed. When that was because psql stopped reading, psql's reason is the one to tell.
                        group.addTask { try await Task.sleep(for: .seconds(1)) }
                        do { try await group.next() } catch is InputClosed { group.cancelAll(); throw InputClosed() }
                        group.cancelAll()
                        throw error
                    }
                    group.cancelAll()
                    await dumped()
                }
            }
        }
        if let failure = outcome.failure {
            try? await job.drop(database)
            throw RestoreError(.failed, "restore of \(label) failed and \"\(database)\" was removed again: \(failure)")
        }
    }

    /// A psql meta-command argument in single quotes (`''` for a quote, `\\` for a backslash).
    static func psqlQuoted(_ path: String) -> String {
        "'" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r") + "'"
    }
}

/// Whether pg_dump ended well; read after both ends have stopped.
final class DumpOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    private var done = false

    func fail(_ error: any Error) { lock.withLock { stored = error } }
    var error: (any Error)? { lock.withLock { stored } }
    func succeed() { lock.withLock { done = true } }
    /// pg_dump's error, or "did not finish" when it neither failed nor succeeded.
    var failure: String? {
        lock.withLock {
            if let error = stored { return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ") }
            return done ? nil : "pg_dump did not finish"
        }
    }
}
