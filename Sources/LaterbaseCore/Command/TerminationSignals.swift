import Foundation
import Synchronization
import UnixSignals

/// Turns SIGTERM and SIGINT into task cancellation for a command that ends by itself: the
/// standby's preparation before postgres is exec'd (`docker stop` during a clone stops
/// pg_basebackup and removes the temporary directory), a one-shot `backup-agent backup` (pg_dump
/// is stopped, the partial file removed) and `restore` (the new database is dropped). The
/// command's own clean-up runs to its end; then it exits 1 with ``Interrupted``'s one line.
public enum TerminationSignals {
    /// The command was stopped by a signal after cleaning up.
    public struct Interrupted: Error, CustomStringConvertible, Sendable {
        public let signal: Int32
        /// What was stopped and what it left, e.g. "before postgres started; nothing was left half-done".
        public let outcome: String
        /// What the stopped body reported about its clean-up, when asked for.
        public var reported: String?
        public var description: String {
            "stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM") \(outcome)" + (reported.map { ": \($0)" } ?? "")
        }
    }

    /// Runs `body` in a child task that is cancelled when SIGTERM or SIGINT arrives, and waits
    /// for it to finish its clean-up. Afterwards both signals have their default disposition again.
    /// - Parameters:
    ///   - outcome: the end of ``Interrupted``'s line: what a stopped `body` leaves behind.
    ///   - reportingFailure: append what `body` threw (unless `CancellationError`), for a body
    ///     whose clean-up can itself fail and says so.
    /// - Throws: ``Interrupted`` when a signal arrived, else what `body` throws.
    public static func cancelling<T: Sendable>(outcome: String, reportingFailure: Bool = false,
                                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        // Ignored until the handlers are in place, and the default again afterwards.
        for number in [SIGTERM, SIGINT] { signal(number, SIG_IGN) }
        defer {
            signal(SIGTERM, SIG_DFL)
            signal(SIGINT, SIG_DFL)
        }
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let received = Mutex<Int32?>(nil)
        let task = Task { try await body() }
        let watcher = Task {
            for await signal in signals {
                received.withLock { if $0 == nil { $0 = signal.rawValue } }
                task.cancel()
            }
        }
        let result = await task.result
        watcher.cancel()
        if let number = received.withLock({ $0 }) {
            var interrupted = Interrupted(signal: number, outcome: outcome)
            if reportingFailure, case .failure(let error) = result, !(error is CancellationError) { interrupted.reported = "\(error)" }
            throw interrupted
        }
        return try result.get()
    }
}
