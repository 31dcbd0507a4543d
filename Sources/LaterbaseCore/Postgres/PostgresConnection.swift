import Foundation
import CLibPQ
import Dispatch

/// One libpq connection. Blocking; use ``withConnection(_:cancellable:_:)`` from async code, which
/// opens, uses and closes the connection on a thread outside Swift's cooperative pool and turns
/// task cancellation into libpq's cancel request.
///
/// Every session is bounded: the server gets `lock_timeout` and `statement_timeout` from
/// ``ConnectionParameters`` at login, connecting gives up after `connect_timeout`, and waiting
/// for an answer gives up (closing the connection) 10 s after the statement_timeout, also when
/// the server cannot answer at all (``ResultPoller``).
///
/// The handle is closed by ``close()`` or, at the latest, when the object is released: a
/// connection never outlives the scope that opened it.
public final class PostgresConnection {
    private(set) var handle: OpaquePointer?
    public let parameters: ConnectionParameters
    let cancellation: QueryCancellation?

    private init(handle: OpaquePointer, parameters: ConnectionParameters, cancellation: QueryCancellation?) {
        self.handle = handle
        self.parameters = parameters
        self.cancellation = cancellation
    }

    deinit { close() }

    /// Opens a connection from keyword/value arrays (`PQconnectStartParams`, then `PQconnectPoll`
    /// with a short `poll` so that `cancellation` is seen within 100 ms).
    /// - Throws: ``PostgresError`` with kind `.unreachable` (also when `connect_timeout` passes),
    ///   `.authentication`, `.connection`, or `.cancelled`.
    public static func connect(_ parameters: ConnectionParameters) throws(PostgresError) -> PostgresConnection {
        try connect(parameters, cancellation: nil)
    }

    package static func connect(_ parameters: ConnectionParameters, cancellation: QueryCancellation?) throws(PostgresError) -> PostgresConnection {
        let pairs = parameters.keywordValuePairs()
        let keywords = CStringArray(pairs.map(\.0))
        let values = CStringArray(pairs.map(\.1))
        guard let conn = PQconnectStartParams(keywords.pointers, values.pointers, 0) else {
            throw PostgresError(kind: .connection, sqlState: nil, message: "libpq could not allocate a connection", target: parameters.description)
        }
        do {
            try ConnectPoller(connection: conn, parameters: parameters, cancellation: cancellation).waitUntilConnected()
        } catch {
            PQfinish(conn)
            throw error
        }
        cancellation?.attach(conn)
        return PostgresConnection(handle: conn, parameters: parameters, cancellation: cancellation)
    }

    /// Opens a connection, runs `body` with it and closes it, all on a thread of its own so a
    /// slow server or a connect timeout never blocks Swift's cooperative threads.
    ///
    /// When the calling task is cancelled while this runs, the connect attempt stops or the
    /// running statement is cancelled on the server (`PQcancel`), later statements are not
    /// sent, and this throws `CancellationError` — whatever `body` made of the failure.
    /// - Parameter cancellable: false for clean-up after a cancellation (dropping a slot or a
    ///   half-restored database), which must run to its end in a cancelled task; it is still
    ///   bounded by the session's timeouts.
    @discardableResult
    public static func withConnection<T: Sendable>(
        _ parameters: ConnectionParameters,
        cancellable: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let cancellation = cancellable ? QueryCancellation() : nil
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                DedicatedThread.run("laterbase-libpq") {
                    let result = Result<T, any Error> {
                        let connection = try connect(parameters, cancellation: cancellation)
                        defer { connection.close() }
                        return try body(connection)
                    }
                    if cancellation?.isCancelled == true {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(with: result)
                    }
                }
            }
        } onCancel: {
            cancellation?.cancel()
        }
    }

    /// Closes the connection. Idempotent.
    public func close() {
        cancellation?.finish()
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// The server's version as an integer (`150004` for 15.4, `130012` for 13.12).
    public var serverVersionNumber: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Runs one statement with `$1`-style parameters sent separately from the SQL text
    /// (`PQsendQueryParams`, text format). `nil` parameters are SQL NULL.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> QueryResult {
        let values = CStringArray(parameters)
        return try run { PQsendQueryParams($0, sql, Int32(parameters.count), nil, values.pointers, nil, nil, 0) }
    }

    /// Runs text through the simple query protocol (`PQsendQuery`). Needed for replication
    /// commands such as `IDENTIFY_SYSTEM`, which the extended protocol does not carry.
    /// Returns the last result when `sql` holds several statements.
    @discardableResult
    public func simpleQuery(_ sql: String) throws(PostgresError) -> QueryResult {
        try run { PQsendQuery($0, sql) }
    }

    /// Sends a statement and waits for its results with ``ResultPoller``: bounded by the session's
    /// statement_timeout (plus a grace) and by a cancellation also when the server cannot
    /// answer; a wait given up closes the connection at once, without waiting for the server.
    private func run(_ send: (OpaquePointer) -> Int32) throws(PostgresError) -> QueryResult {
        let conn = try liveHandle()
        guard send(conn) == 1 else { return try consume(nil) }
        return try consume(awaitResult(conn))
    }

    /// The last result of what was sent (``ResultPoller``; the caller clears it); a wait given
    /// up closes the connection.
    func awaitResult(_ conn: OpaquePointer) throws(PostgresError) -> OpaquePointer? {
        do {
            return try ResultPoller(connection: conn, parameters: parameters, cancellation: cancellation).lastResult()
        } catch {
            abandon()
            throw error.error
        }
    }

    /// Closes the connection without waiting: the Terminate message goes out only if the socket takes it now.
    func abandon() {
        if let handle { PQsetnonblocking(handle, 1) }
        close()
    }

    func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, sqlState: nil, message: "the connection is already closed", target: parameters.description)
        }
        if cancellation?.isCancelled == true {
            throw PostgresError(kind: .cancelled, sqlState: "57014", message: "cancelled before the statement was sent", target: parameters.description)
        }
        return handle
    }

    func consume(_ result: OpaquePointer?) throws(PostgresError) -> QueryResult {
        guard let result else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "no result"
            throw PostgresError(kind: .query, sqlState: nil, message: PostgresError.clean(message, password: parameters.password), target: parameters.description)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? String(cString: PQresultErrorMessage(result))
            // The server's DETAIL can quote row values (a duplicate key): kept apart, never in the description.
            let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { PostgresError.clean(String(cString: $0), password: parameters.password) }
            let cancelled = state == "57014" && cancellation?.isCancelled == true
            throw PostgresError(kind: cancelled ? .cancelled : .query, sqlState: state,
                                message: PostgresError.clean(primary + bound(for: state), password: parameters.password),
                                target: parameters.description, detail: detail)
        }
    }

    /// Names the session bound that ended a statement, so the message says which limit it hit.
    private func bound(for state: String?) -> String {
        switch state {
        case "55P03": return "; Laterbase's lock_timeout for this session is \(parameters.lockTimeoutSeconds) s"
        case "57014" where cancellation?.isCancelled != true:
            return "; Laterbase's statement_timeout for this session is \(parameters.statementTimeoutSeconds) s"
        default: return ""
        }
    }

    private static func rows(of result: OpaquePointer) -> QueryResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            })
        }
        let tuples = String(cString: PQcmdTuples(result))
        return QueryResult(columns: columns, rows: rows, affectedRows: Int(tuples))
    }
}
