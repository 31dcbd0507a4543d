import CLibPQ
import Foundation

extension PostgresConnection {
    /// Opens a connection to each of `first` and `second`, runs `body` with both and closes them,
    /// on one thread of its own (``withConnection(_:cancellable:_:)`` for two). A cancelled task
    /// cancels what either runs (`PQcancel`) and this throws `CancellationError`.
    public static func withConnections<T: Sendable>(
        _ first: ConnectionParameters, _ second: ConnectionParameters,
        _ body: @escaping @Sendable (PostgresConnection, PostgresConnection) throws -> T
    ) async throws -> T {
        let cancellations = (QueryCancellation(), QueryCancellation())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                DedicatedThread.run("laterbase-libpq-copy") {
                    let result = Result<T, any Error> {
                        let one = try connect(first, cancellation: cancellations.0)
                        defer { one.close() }
                        let two = try connect(second, cancellation: cancellations.1)
                        defer { two.close() }
                        return try body(one, two)
                    }
                    if cancellations.0.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: result)
                    }
                }
            }
        } onCancel: {
            cancellations.0.cancel()
            cancellations.1.cancel()
        }
    }

    /// Moves the rows of `copyOut` (a `COPY … TO STDOUT` run here) into `copyIn` (a `COPY … FROM
    /// STDIN` run on `target`), message by message, without parsing them: for `FORMAT binary`
    /// between servers of one major version. `target`'s COPY ends successfully only after this
    /// side's COPY ended successfully; any failure on either side ends `target`'s with an error,
    /// so it keeps nothing.
    /// - Parameter moved: told the bytes of each message passed on.
    /// - Returns: the bytes moved.
    /// - Throws: ``PostgresError`` of the side that failed (`.cancelled` when cancelled).
    public func copy(_ copyOut: String, into target: PostgresConnection, _ copyIn: String,
                     moved: (Int) -> Void = { _ in }) throws(PostgresError) -> Int64 {
        let source = try startCopy(copyOut, expecting: PGRES_COPY_OUT)
        let sink: OpaquePointer
        do {
            sink = try target.startCopy(copyIn, expecting: PGRES_COPY_IN)
        } catch {
            abandon()
            throw error
        }
        var total: Int64 = 0
        do throws(PostgresError) {
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let count = PQgetCopyData(source, &buffer, 1)
                if count > 0 {
                    defer { PQfreemem(buffer) }
                    guard PQputCopyData(sink, buffer, count) == 1 else {
                        abandon()
                        throw target.lastError()
                    }
                    total += Int64(count)
                    moved(Int(count))
                } else if count == 0 {
                    try waitForCopyData(source)
                } else {
                    // -1: this side's COPY ended; its result says how. -2: the connection failed.
                    _ = try lastResultChecked()
                    break
                }
            }
        } catch {
            _ = PQputCopyEnd(sink, "the source of the copy failed")
            _ = try? target.lastResultChecked()
            throw error
        }
        guard PQputCopyEnd(sink, nil) == 1 else { throw target.lastError() }
        _ = try target.lastResultChecked()
        return total
    }

    /// Sends `sql` and waits until the server is in the COPY state `expected`.
    private func startCopy(_ sql: String, expecting expected: ExecStatusType) throws(PostgresError) -> OpaquePointer {
        let conn = try liveHandle()
        guard PQsendQuery(conn, sql) == 1 else { throw lastError() }
        let result: OpaquePointer?
        do {
            result = try ResultPoller(connection: conn, parameters: parameters, cancellation: cancellation).lastResult()
        } catch {
            abandon()
            throw error.error
        }
        guard let result, PQresultStatus(result) == expected else {
            _ = try consume(result)  // the server's error
            throw lastError()
        }
        PQclear(result)
        return conn
    }

    /// Waits (100 ms slices) until a COPY OUT has more data; a cancellation the server does not
    /// answer within ``ResultPoller/cancelGrace`` closes the connection.
    private func waitForCopyData(_ conn: OpaquePointer) throws(PostgresError) {
        var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 100) < 0 && errno != EINTR {
            abandon()
            throw PostgresError(kind: .connection, sqlState: nil, message: "poll failed: \(String(cString: strerror(errno)))", target: parameters.description)
        }
        if PQconsumeInput(conn) == 0 {
            abandon()
            throw lastError()
        }
        if let cancellation, cancellation.isCancelled {
            let now = DispatchTime.now().uptimeNanoseconds
            let since = copyCancelledAt ?? now
            copyCancelledAt = since
            if now - since > ResultPoller.cancelGrace * 1_000_000_000 {
                abandon()
                throw PostgresError(kind: .cancelled, sqlState: nil, message: "cancelled during a copy; the server did not answer the cancel request", target: parameters.description)
            }
        }
    }

    /// The statement's last result, checked (an error result throws).
    private func lastResultChecked() throws(PostgresError) -> QueryResult {
        let conn = try liveHandle()
        let result: OpaquePointer?
        do {
            result = try ResultPoller(connection: conn, parameters: parameters, cancellation: cancellation).lastResult()
        } catch {
            abandon()
            throw error.error
        }
        return try consume(result)
    }

    /// libpq's last error on this connection, as a ``PostgresError``.
    private func lastError() -> PostgresError {
        let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "the connection is closed"
        let cancelled = cancellation?.isCancelled == true
        return PostgresError(kind: cancelled ? .cancelled : .query, sqlState: nil,
                             message: PostgresError.clean(message, password: parameters.password), target: parameters.description)
    }
}
