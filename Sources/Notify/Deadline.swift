import Synchronization

/// Runs `work` in a task of its own and returns what it returns — or throws `expired()` as soon
/// as `limit` has passed, without waiting for `work` to wind down: it is cancelled and ends on its
/// own (a child process meanwhile gets its SIGTERM, then SIGKILL). A task group would wait for
/// that winding down, which on a loaded machine took far longer than the limit itself.
func withDeadline<T: Sendable>(_ limit: Duration, expired: @escaping @Sendable () -> any Error,
                               _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let worker = Task { try await work() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            // Made before either task starts, so both find it.
            let outcome = FirstOutcome(continuation)
            let timer = Task {
                try await Task.sleep(for: limit)
                if outcome.settle(.failure(expired())) { worker.cancel() }
            }
            Task {
                let result = await worker.result
                timer.cancel()
                outcome.settle(result)
            }
        }
    } onCancel: {
        worker.cancel()
    }
}

/// Resumes a continuation with whichever outcome comes first; later ones are dropped.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// True when `result` was the first outcome.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        guard let first = continuation.withLock({ state in defer { state = nil }; return state }) else { return false }
        first.resume(with: result)
        return true
    }
}
