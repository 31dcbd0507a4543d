import Foundation

/// Whether pg_receivewal streams right now and the last moment it was confirmed to; shared by
/// the receiver loop, its status writer and its shutdown.
final class ReceiverProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var streaming = false
    private var until: Date?

    /// pg_receivewal said "starting log streaming".
    func started() { lock.withLock { streaming = true } }
    /// pg_receivewal exited (or is about to start).
    func stopped() { lock.withLock { streaming = false } }
    /// It still streams at `time`.
    func confirm(_ time: Date) { lock.withLock { until = time } }

    var isStreaming: Bool { lock.withLock { streaming } }
    var streamedUntil: Date? { lock.withLock { until } }
}
