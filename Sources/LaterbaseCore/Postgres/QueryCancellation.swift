import CLibPQ
import Foundation
import Synchronization

/// Lets another thread stop what one connection is doing. ``PostgresConnection/withConnection(_:cancellable:_:)``
/// runs libpq's blocking calls on a thread of their own and calls ``cancel()`` from its task-cancellation
/// handler: the flag is set (the connect loop and every later statement check it) and libpq's cancel
/// request (`PQcancel`, which is thread-safe) is sent for the statement that runs at that moment —
/// again every half second, up to ten seconds, while the connection is still in use, so a request
/// that reached the server between two statements cannot be lost.
///
/// Thread-safe. `PGcancel` is freed only when the connection is done with it and no request is in
/// flight, so a cancel request never uses freed memory and never holds up closing the connection.
package final class QueryCancellation: Sendable {
    /// libpq's `PGcancel`: usable from any thread (`PQcancel` is thread-safe, as libpq documents).
    private struct CancelHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// libpq's `PGcancel` and who still uses it.
    private struct State {
        var handle: CancelHandle?
        var cancelled = false
        /// When ``cancel()`` was first called (`DispatchTime` nanoseconds).
        var cancelledAt: UInt64?
        var finished = false
        var requestsInFlight = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether ``cancel()`` was called.
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Whether ``cancel()`` was called more than `seconds` ago: the server has not answered the
    /// cancel request in time, and a wait for it ends (the connection is closed).
    func unanswered(after seconds: UInt64) -> Bool {
        guard let at = state.withLock({ $0.cancelledAt }) else { return false }
        return DispatchTime.now().uptimeNanoseconds - at > seconds * 1_000_000_000
    }

    /// Called on the connection's thread once it is connected: from now on a cancel request reaches it.
    func attach(_ connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection).map(CancelHandle.init) else { return }
        state.withLock { if $0.finished { PQfreeCancel(cancel.pointer) } else { $0.handle = cancel } }
    }

    /// Called on the connection's thread before it closes the connection. Idempotent.
    func finish() {
        state.withLock { state in
            state.finished = true
            if state.requestsInFlight == 0, let handle = state.handle { PQfreeCancel(handle.pointer) }
            state.handle = nil
        }
    }

    /// Marks the work cancelled and starts sending cancel requests. Returns at once; idempotent.
    package func cancel() {
        let first = state.withLock { state -> Bool in
            defer { state.cancelled = true }
            if !state.cancelled { state.cancelledAt = DispatchTime.now().uptimeNanoseconds }
            return !state.cancelled
        }
        if first { DedicatedThread.run("laterbase-pqcancel") { self.sendRequests() } }
    }

    /// Sends a cancel request now and every half second while the connection is in use.
    private func sendRequests() {
        for _ in 0..<20 {
            let target = state.withLock { state -> (handle: CancelHandle?, done: Bool) in
                if state.finished { return (nil, true) }
                if state.handle != nil { state.requestsInFlight += 1 }
                return (state.handle, false)
            }
            if target.done { return }
            if let cancel = target.handle {
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancel.pointer, &buffer, Int32(buffer.count))
                state.withLock { state in
                    state.requestsInFlight -= 1
                    if state.finished && state.requestsInFlight == 0 { PQfreeCancel(cancel.pointer) }
                }
            }
            usleep(500_000)
        }
    }
}
