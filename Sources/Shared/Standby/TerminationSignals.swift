import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into task cancellation while the standby prepares itself (before
/// postgres is exec'd): `docker stop` during a clone stops pg_basebackup, the temporary
/// directory is removed, and the program exits non-zero with ``Interrupted``.
public enum TerminationSignals {
    /// The run was stopped by a signal.
    public struct Interrupted: Error, CustomStringConvertible, Sendable {
        public let signal: Int32
        public var description: String {
            "stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM") before postgres started; nothing was left half-done"
        }
    }

    /// Runs `body` in a child task that is cancelled when SIGTERM or SIGINT arrives. Afterwards
    /// both signals have their default disposition again.
    /// - Throws: ``Interrupted`` when a signal arrived (whatever `body` threw then), else what `body` throws.
    public static func cancelling<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
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
        if let number = received.get() { throw Interrupted(signal: number) }
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
