import Foundation
import LaterbaseCore
import Synchronization

/// One libpq connection kept open for a query that runs again and again (the WAL receiver's
/// question to the primary every second): opened on first use, reused, closed and opened
/// again when a query fails — one login per agent start or outage, not 86,400 a day.
/// Each query runs on a thread of its own (``DedicatedThread``), one at a time, bounded as
/// every statement is (``ResultPoller``: a server that does not answer costs its statement
/// timeout plus a grace, then a new connection). Cancelling the task that waits sends the
/// cancel request and returns within seconds; after that the held connection stays closed.
final class HeldConnection: Sendable {
    let parameters: ConnectionParameters
    /// Held while a query runs.
    private let held = Mutex<(connection: PostgresConnection?, opened: Int)>((nil, 0))
    /// Apart from `held`, so that a cancellation reaches the query that holds it.
    private let cancelState = Mutex<(cancellation: QueryCancellation?, cancelled: Bool)>((nil, false))

    init(_ parameters: ConnectionParameters) { self.parameters = parameters }

    /// How many times a connection was opened (for tests and the log).
    var connects: Int { held.withLock { $0.opened } }

    /// The first row of `sql`, or nil when the server cannot be reached, the query failed or
    /// the task was cancelled. A held connection that fails (the server restarted, the session
    /// was ended) is replaced by a new one at once, so one failure costs no sample.
    func firstRow(_ sql: String) async -> [String?]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DedicatedThread.run("laterbase-held-connection") {
                    continuation.resume(returning: self.firstRowBlocking(sql))
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops the query that runs (libpq's cancel request) and every later one.
    func cancel() {
        let running = cancelState.withLock { state -> QueryCancellation? in
            state.cancelled = true
            return state.cancellation
        }
        running?.cancel()
    }

    private func firstRowBlocking(_ sql: String) -> [String?]? {
        held.withLock { held -> [String?]? in
            for attempt in 0..<2 {
                let reused = held.connection != nil
                do {
                    if held.connection == nil {
                        let next = QueryCancellation()
                        let admitted = cancelState.withLock { state -> Bool in
                            guard !state.cancelled else { return false }
                            state.cancellation = next
                            return true
                        }
                        guard admitted else { return nil }
                        held.connection = try PostgresConnection.connect(parameters, cancellation: next)
                        held.opened += 1
                    }
                    return try held.connection?.query(sql).rows.first
                } catch {
                    held.connection?.close()
                    held.connection = nil
                    if !reused || attempt == 1 { return nil }
                }
            }
            return nil
        }
    }

    /// Closes the connection; the next query opens a new one.
    func close() {
        held.withLock { held in
            held.connection?.close()
            held.connection = nil
        }
    }
}
