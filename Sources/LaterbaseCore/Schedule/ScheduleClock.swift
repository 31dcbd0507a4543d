import Foundation

/// Sleeping until a wall-clock time. Sleeps in short steps and re-reads the wall clock, so a
/// suspended machine or a clock jump is noticed within a step rather than after the full
/// interval measured on the monotonic clock.
public enum ScheduleClock {
    public static let step: Duration = .seconds(30)

    /// Returns once `Date()` has reached `target`; throws `CancellationError` when cancelled.
    public static func sleep(until target: Date) async throws {
        while true {
            let remaining = target.timeIntervalSinceNow
            if remaining <= 0 { return }
            try await Task.sleep(for: min(step, .milliseconds(Int64(remaining * 1000) + 1)))
        }
    }
}
