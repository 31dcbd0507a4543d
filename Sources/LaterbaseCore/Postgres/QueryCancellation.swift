import CLibPQ
import Foundation

/// Lets another thread stop what one connection is doing. ``PostgresConnection/withConnection(_:cancellable:_:)``
/// runs libpq's blocking calls on a thread of their own and calls ``cancel()`` from its task-cancellation
/// handler: the flag is set (the connect loop and every later statement check it) and libpq's cancel
/// request (`PQcancel`, which is thread-safe) is sent for the statement that runs at that moment —
/// again every half second, up to ten seconds, while the connection is still in use, so a request
/// that reached the server between two statements cannot be lost.
///
/// Thread-safe. `PGcancel` is freed only when the connection is done with it and no request is in
/// flight, so a cancel request never uses freed memory and never holds up closing the connection.
package final class QueryCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: OpaquePointer?
    private var cancelled = false
    private var finished = false
    private var requestsInFlight = 0

    package init() {}

    /// Whether ``cancel()`` was called.
    var isCancelled: Bool { lock.withLock { cancelled } }

    /// Called on the connection's thread once it is connected: from now on a cancel request reaches it.
    func attach(_ connection: OpaquePointer) {
        let cancel = PQgetCancel(connection)
        lock.withLock { if finished { PQfreeCancel(cancel) } else { handle = cancel } }
    }

    /// Called on the connection's thread before it closes the connection. Idempotent.
    func finish() {
        lock.withLock {
            finished = true
            if requestsInFlight == 0, let handle { PQfreeCancel(handle) }
            handle = nil
        }
    }

    /// Marks the work cancelled and starts sending cancel requests. Returns at once; idempotent.
    package func cancel() {
        let first = lock.withLock { () -> Bool in
            defer { cancelled = true }
            return !cancelled
        }
        if first { DedicatedThread.run("laterbase-pqcancel") { self.sendRequests() } }
    }

    /// Sends a cancel request now and every half second while the connection is in use.
    private func sendRequests() {
        for _ in 0..<20 {
            let target = lock.withLock { () -> (handle: OpaquePointer?, done: Bool) in
                if finished { return (nil, true) }
                if handle != nil { requestsInFlight += 1 }
                return (handle, false)
            }
            if target.done { return }
            if let cancel = target.handle {
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancel, &buffer, Int32(buffer.count))
                lock.withLock {
                    requestsInFlight -= 1
                    if finished && requestsInFlight == 0 { PQfreeCancel(cancel) }
                }
            }
            usleep(500_000)
        }
    }
}
