import Shared
import UnixSignals

/// Runs `body`, cancelling it when SIGINT or SIGTERM arrives, so that Ctrl-C or `docker stop`
/// during a restore goes through the same clean-up as a failure (the new database is dropped).
func cancellingOnSignal(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            for await _ in signals { throw CommandFailure("interrupted by a signal; nothing was left behind") }
        }
        defer { group.cancelAll() }
        try await group.next()
    }
}
