import CLibPQ
import Foundation

/// Waits for the results of a statement sent with `PQsendQuery`/`PQsendQueryParams`, on the
/// socket in 100 ms slices (as ``ConnectPoller`` does for the connect), so that a server that
/// cannot answer never holds the thread, and the task waiting for it, beyond a bound:
/// - the session's `statement_timeout` plus ``answerGrace``: the server ends a statement at its
///   statement_timeout and says so, so no answer by then means it cannot (a backend stuck in
///   the kernel or stopped, a network that drops packets with the connection open);
/// - a cancellation (``QueryCancellation``): its cancel requests end the statement on a live
///   server at once; with no answer within ``cancelGrace`` the wait ends.
///
/// Either way the connection is in an unknown state: the caller gives it up
/// (``PostgresConnection`` closes it without waiting for the server).
struct ResultPoller {
    let connection: OpaquePointer
    let parameters: ConnectionParameters
    let cancellation: QueryCancellation?

    /// How long past its statement_timeout a statement may go without an answer.
    static let answerGrace: UInt64 = 10
    /// How long after a cancellation the server may take to answer.
    static let cancelGrace: UInt64 = 2

    /// Thrown when the wait was given up: the connection must be closed.
    struct GivenUp: Error {
        let error: PostgresError
    }

    /// The last result (as `PQexec` returns it: the caller clears it), or nil when libpq has none.
    func lastResult() throws(GivenUp) -> OpaquePointer? {
        let started = DispatchTime.now().uptimeNanoseconds
        let limit = parameters.statementTimeoutSeconds > 0 ? (UInt64(parameters.statementTimeoutSeconds) + Self.answerGrace) * 1_000_000_000 : nil
        var last: OpaquePointer?
        func giveUp(_ kind: PostgresError.Kind, _ message: String) -> GivenUp {
            if let last { PQclear(last) }
            return GivenUp(error: PostgresError(kind: kind, sqlState: nil, message: message, target: parameters.description))
        }
        while true {
            while PQisBusy(connection) == 0 {
                guard let result = PQgetResult(connection) else { return last }
                if let last { PQclear(last) }
                last = result
                let status = PQresultStatus(result)
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH || PQstatus(connection) == CONNECTION_BAD {
                    return last
                }
            }
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 100) < 0 && errno != EINTR {
                throw giveUp(.connection, "poll failed: \(String(cString: strerror(errno)))")
            }
            // After every slice, readable or not: TLS can hold the rest of an answer that the
            // socket no longer signals. It never blocks. On a lost connection libpq marks it bad
            // and PQgetResult gives the error.
            if PQconsumeInput(connection) == 0 && PQstatus(connection) != CONNECTION_BAD {
                throw giveUp(.connection, PostgresError.clean(String(cString: PQerrorMessage(connection)), password: parameters.password))
            }
            if PQisBusy(connection) == 0 { continue }
            // The bounds hold also for a server that keeps sending without ever finishing.
            if cancellation?.unanswered(after: Self.cancelGrace) == true {
                throw giveUp(.cancelled, "cancelled; the server did not answer the cancel request within \(Self.cancelGrace) s, so the connection was closed")
            }
            if let limit, DispatchTime.now().uptimeNanoseconds - started > limit {
                throw giveUp(.unreachable, "no answer within \(parameters.statementTimeoutSeconds + Int(Self.answerGrace)) s (Laterbase's statement_timeout of \(parameters.statementTimeoutSeconds) s + \(Self.answerGrace) s): the server is stuck or the network drops packets; the connection was closed")
            }
        }
    }
}
