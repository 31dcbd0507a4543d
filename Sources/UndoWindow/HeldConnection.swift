import Foundation
import LaterbaseCore

/// One libpq connection kept open for a query that runs again and again (the WAL receiver's
/// question to the primary every second): opened on first use, reused, closed and opened
/// again when a query fails — one login per agent start or outage, not 86,400 a day.
/// Each query runs on a thread of its own (``DedicatedThread``), one at a time, bounded as
/// every statement is (``ResultPoller``: a server that does not answer costs its statement
/// timeout plus a grace, then a new connection). Cancelling the task that waits sends the
/// cancel request and returns within seconds; after that the held connection stays closed.
final class HeldConnection: @unchecked Sendable {
    let parameters: ConnectionParameters
    /// Held while a query runs.
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var opened = 0
    /// Apart from `lock`, so that a cancellation reaches the query that holds it.
    private let cancelLock = NSLock()
    private var cancellation: QueryCancellation?
    private var cancelled = false

    init(_ parameters: ConnectionParameters) { self.parameters = parameters }

    /// How many times a connection was opened (for tests and the log).
    var connects: Int { lock.withLock { opened } }

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
        let running = cancelLock.withLock { () -> QueryCancellation? in
            cancelled = true
            return cancellation
        }
        running?.cancel()
    }

    private func firstRowBlocking(_ sql: String) -> [String?]? {
        lock.withLock { () -> [String?]? in
            for attempt in 0..<2 {
                let reused = connection != nil
                do {
                    if connection == nil {
                        let next = QueryCancellation()
                        let admitted = cancelLock.withLock { () -> Bool in
                            guard !cancelled else { return false }
                            cancellation = next
                            return true
                        }
                        guard admitted else { return nil }
                        connection = try PostgresConnection.connect(parameters, cancellation: next)
                        opened += 1
                    }
                    return try connection?.query(sql).rows.first
                } catch {
                    connection?.close()
                    connection = nil
                    if !reused || attempt == 1 { return nil }
                }
            }
            return nil
        }
    }

    /// Closes the connection; the next query opens a new one.
    func close() {
        lock.withLock {
            connection?.close()
            connection = nil
        }
    }
}
