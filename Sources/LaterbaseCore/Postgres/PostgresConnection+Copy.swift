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
    ///
    /// Neither side can hold the thread: this side is read and `target` written without blocking,
    /// in 100 ms slices that watch for a cancellation (a server that does not answer its cancel
    /// request within ``ResultPoller/cancelGrace`` has its connection closed). A row `target`
    /// refuses is told when its COPY ends: PostgreSQL reports it then, not while rows still come.
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
        PQsetnonblocking(sink, 1)
        defer { if target.handle != nil { PQsetnonblocking(sink, 0) } }
        var (total, unflushed) = (Int64(0), 0)
        do throws(PostgresError) {
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let count = PQgetCopyData(source, &buffer, 1)
                if count > 0 {
                    defer { PQfreemem(buffer) }
                    // Flushed every 64 KiB: libpq's buffer stays that small however slow
                    // `target` is, without a send() per row.
                    unflushed += Int(count)
                    let flush = unflushed >= 1 << 16
                    try target.put(flush: flush) { PQputCopyData(sink, buffer, count) }
                    if flush { unflushed = 0 }
                    total += Int64(count)
                    moved(Int(count))
                } else if count == 0 {
                    try wait(for: POLLIN, on: source)
                } else {
                    // -1: this side's COPY ended; its result says how. -2: the connection failed.
                    _ = try lastResultChecked()
                    break
                }
            }
        } catch {
            if target.handle != nil {
                _ = try? target.put { PQputCopyEnd(sink, "the source of the copy failed") }
                _ = try? target.lastResultChecked()
            }
            throw error
        }
        try target.put { PQputCopyEnd(sink, nil) }
        _ = try target.lastResultChecked()
        return total
    }

    /// Runs `send` (PQputCopyData or PQputCopyEnd on this nonblocking connection) until libpq took
    /// it; with `flush`, then waits until libpq has sent all it holds.
    private func put(flush: Bool = true, _ send: () -> Int32) throws(PostgresError) {
        let conn = try liveHandle()
        while true {
            switch send() {
            case 1: break
            case 0:
                try wait(for: POLLOUT, on: conn)
                continue
            default:
                throw failAndClose()
            }
            break
        }
        while flush {
            switch PQflush(conn) {
            case 0: return
            case 1: try wait(for: POLLOUT, on: conn)
            default: throw failAndClose()
            }
        }
    }

    /// Sends `sql` and waits until the server is in the COPY state `expected`.
    private func startCopy(_ sql: String, expecting expected: ExecStatusType) throws(PostgresError) -> OpaquePointer {
        let conn = try liveHandle()
        guard PQsendQuery(conn, sql) == 1 else { throw failAndClose() }
        let result = try awaitResult(conn)
        guard let result, PQresultStatus(result) == expected else {
            _ = try consume(result)  // the server's error
            throw failAndClose()
        }
        PQclear(result)
        return conn
    }

    /// Waits up to 100 ms for `events` on the socket, reads what came, and checks for a
    /// cancellation the server did not answer within ``ResultPoller/cancelGrace`` (the connection
    /// is then closed).
    private func wait(for events: Int32, on conn: OpaquePointer) throws(PostgresError) {
        var descriptor = pollfd(fd: PQsocket(conn), events: Int16(events | POLLIN), revents: 0)
        if poll(&descriptor, 1, 100) < 0 && errno != EINTR {
            let reason = String(cString: strerror(errno))
            abandon()
            throw PostgresError(kind: .connection, sqlState: nil, message: "poll failed: \(reason)", target: parameters.description)
        }
        if PQconsumeInput(conn) == 0 { throw failAndClose() }
        if cancellation?.unanswered(after: ResultPoller.cancelGrace) == true {
            abandon()
            throw PostgresError(kind: .cancelled, sqlState: nil, message: "cancelled during a copy; the server did not answer the cancel request", target: parameters.description)
        }
    }

    /// The statement's last result, checked (an error result throws).
    private func lastResultChecked() throws(PostgresError) -> QueryResult {
        try consume(awaitResult(liveHandle()))
    }

    /// libpq's last error on this connection, read before the connection is closed (without waiting).
    private func failAndClose() -> PostgresError {
        let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "the connection is closed"
        let cancelled = cancellation?.isCancelled == true
        abandon()
        return PostgresError(kind: cancelled ? .cancelled : .query, sqlState: nil,
                             message: PostgresError.clean(message, password: parameters.password), target: parameters.description)
    }
}
