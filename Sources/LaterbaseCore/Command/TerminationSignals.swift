import Dispatch
import Foundation

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
        let received = SignalBox()
        let task = Task { try await body() }
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                received.set(number)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        defer {
            sources.forEach { $0.cancel() }
            signal(SIGTERM, SIG_DFL)
            signal(SIGINT, SIG_DFL)
        }
        let result = await task.result
        if let number = received.get() {
            var interrupted = Interrupted(signal: number, outcome: outcome)
            if reportingFailure, case .failure(let error) = result, !(error is CancellationError) { interrupted.reported = "\(error)" }
            throw interrupted
        }
        return try result.get()
    }

    /// Whether a termination signal has arrived in the current ``cancelling(_:)`` scope: code
    /// that cleans up after cancellation checks `Task.isCancelled` instead.
    final class SignalBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int32?
        func set(_ number: Int32) { lock.withLock { if value == nil { value = number } } }
        func get() -> Int32? { lock.withLock { value } }
    }
}
