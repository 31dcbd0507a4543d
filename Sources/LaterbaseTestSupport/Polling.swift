import Foundation

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it
/// held (checked once more at the deadline). The one waiting loop the integration tests share.
public func poll(timeout: Duration, every interval: Duration = .milliseconds(100),
                 _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

extension Process {
    /// Sends `signal` and waits up to `timeout` for the process to exit. Returns how long it
    /// took, nil when it still runs.
    public func signalAndTime(_ signal: Int32, timeout: Duration = .seconds(30)) async -> Duration? {
        let signalled = ContinuousClock.now
        kill(processIdentifier, signal)
        guard await poll(timeout: timeout, every: .milliseconds(20), { !isRunning }) else { return nil }
        return ContinuousClock.now - signalled
    }
}
