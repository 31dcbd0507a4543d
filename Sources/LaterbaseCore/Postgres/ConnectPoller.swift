import CLibPQ
import Foundation

/// Drives a connection started with `PQconnectStartParams` to its end with `PQconnectPoll`,
/// waiting on the socket in 100 ms slices so a cancellation is seen at once. libpq ignores
/// `connect_timeout` in this mode, so the poller applies it: per connection attempt (a new
/// socket, e.g. the next address of a host name), as `PQconnectdbParams` does.
struct ConnectPoller {
    let connection: OpaquePointer
    let parameters: ConnectionParameters
    let cancellation: QueryCancellation?

    /// Returns when the connection is established.
    /// - Throws: ``PostgresError`` as ``PostgresConnection/connect(_:)`` describes.
    func waitUntilConnected() throws(PostgresError) {
        let limit = UInt64(max(2, parameters.connectTimeoutSeconds)) * 1_000_000_000
        var socket = PQsocket(connection)
        var deadline = DispatchTime.now().uptimeNanoseconds + limit
        // Before the first PQconnectPoll, libpq wants the socket to be writable.
        var status = PGRES_POLLING_WRITING
        while true {
            if PQstatus(connection) == CONNECTION_BAD || status == PGRES_POLLING_FAILED { throw failure() }
            if status == PGRES_POLLING_OK { return }
            if cancellation?.isCancelled == true {
                throw PostgresError(kind: .cancelled, sqlState: nil, message: "cancelled while connecting", target: parameters.description)
            }
            let current = PQsocket(connection)
            if current != socket {
                socket = current
                deadline = DispatchTime.now().uptimeNanoseconds + limit
            }
            if current >= 0 {
                var descriptor = pollfd(fd: current, events: Int16(status == PGRES_POLLING_READING ? POLLIN : POLLOUT), revents: 0)
                let ready = poll(&descriptor, 1, 100)
                if ready < 0 && errno != EINTR {
                    throw PostgresError(kind: .connection, sqlState: nil, message: "poll failed: \(String(cString: strerror(errno)))", target: parameters.description)
                }
                if ready <= 0 {
                    if DispatchTime.now().uptimeNanoseconds > deadline {
                        throw PostgresError(kind: .unreachable, sqlState: "08001",
                                            message: "timeout expired after \(max(2, parameters.connectTimeoutSeconds)) s (connect_timeout)",
                                            target: parameters.description)
                    }
                    continue
                }
            }
            status = PQconnectPoll(connection)
        }
    }

    private func failure() -> PostgresError {
        let raw = String(cString: PQerrorMessage(connection))
        let (kind, state) = PostgresError.connectionKind(for: raw)
        return PostgresError(kind: kind, sqlState: state, message: PostgresError.clean(raw, password: parameters.password), target: parameters.description)
    }
}
