import Foundation
import Synchronization

/// Whether pg_receivewal streams right now and the last moment it was confirmed to; shared by
/// the receiver loop, its status writer and its shutdown.
final class ReceiverProgress: Sendable {
    private let state = Mutex<(streaming: Bool, until: Date?)>((false, nil))

    /// pg_receivewal said "starting log streaming".
    func started() { state.withLock { $0.streaming = true } }
    /// pg_receivewal exited (or is about to start).
    func stopped() { state.withLock { $0.streaming = false } }
    /// It still streams at `time`.
    func confirm(_ time: Date) { state.withLock { $0.until = time } }

    var isStreaming: Bool { state.withLock { $0.streaming } }
    var streamedUntil: Date? { state.withLock { $0.until } }
}
