import Foundation

/// One libpq connection kept open for a query that runs again and again (the WAL receiver's
/// question to the primary every second): opened on first use, reused, closed and opened
/// again when a query fails — one login per agent start or outage, not 86,400 a day.
/// Each query runs on a thread of its own (``DedicatedThread``), one at a time.
final class HeldConnection: @unchecked Sendable {
    let parameters: ConnectionParameters
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var opened = 0

    init(_ parameters: ConnectionParameters) { self.parameters = parameters }

    /// How many times a connection was opened (for tests and the log).
    var connects: Int { lock.withLock { opened } }

    /// The first row of `sql`, or nil when the server cannot be reached or the query failed.
    /// A held connection that fails (the server restarted, the session was ended) is replaced
    /// by a new one at once, so one failure costs no sample.
    func firstRow(_ sql: String) async -> [String?]? {
        await withCheckedContinuation { continuation in
            DedicatedThread.run("laterbase-held-connection") {
                continuation.resume(returning: self.firstRowBlocking(sql))
            }
        }
    }

    private func firstRowBlocking(_ sql: String) -> [String?]? {
        lock.withLock {
            for attempt in 0..<2 {
                let reused = connection != nil
                do {
                    if connection == nil {
                        connection = try PostgresConnection.connect(parameters)
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
