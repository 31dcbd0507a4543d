import Foundation
import CLibPQ
import Dispatch

/// One libpq connection. Blocking; use ``withConnection(_:_:)`` from async code, which opens,
/// uses and closes the connection on a thread outside Swift's cooperative pool.
///
/// The handle is closed by ``close()`` or, at the latest, when the object is released: a
/// connection never outlives the scope that opened it.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    public let parameters: ConnectionParameters

    private init(handle: OpaquePointer, parameters: ConnectionParameters) {
        self.handle = handle
        self.parameters = parameters
    }

    deinit { close() }

    /// Opens a connection from keyword/value arrays (`PQconnectdbParams`).
    /// - Throws: ``PostgresError`` with kind `.unreachable`, `.authentication` or `.connection`.
    public static func connect(_ parameters: ConnectionParameters) throws(PostgresError) -> PostgresConnection {
        let pairs = parameters.keywordValuePairs()
        let keywords = CStringArray(pairs.map(\.0))
        let values = CStringArray(pairs.map(\.1))
        guard let conn = PQconnectdbParams(keywords.pointers, values.pointers, 0) else {
            throw PostgresError(kind: .connection, sqlState: nil, message: "libpq could not allocate a connection", target: parameters.description)
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let raw = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            let (kind, state) = PostgresError.connectionKind(for: raw)
            let message = PostgresError.clean(raw, password: parameters.password)
            throw PostgresError(kind: kind, sqlState: state, message: message, target: parameters.description)
        }
        return PostgresConnection(handle: conn, parameters: parameters)
    }

    /// Opens a connection, runs `body` with it and closes it, all on a dispatch thread so a
    /// slow server or a connect timeout never blocks Swift's cooperative threads.
    @discardableResult
    public static func withConnection<T: Sendable>(
        _ parameters: ConnectionParameters,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            DispatchQueue.global().async {
                do {
                    let connection = try connect(parameters)
                    defer { connection.close() }
                    continuation.resume(returning: try body(connection))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Closes the connection. Idempotent.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// The server's version as an integer (`150004` for 15.4, `130012` for 13.12).
    public var serverVersionNumber: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Runs one statement with `$1`-style parameters sent separately from the SQL text
    /// (`PQexecParams`, text format). `nil` parameters are SQL NULL.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> QueryResult {
        let conn = try liveHandle()
        let values = CStringArray(parameters)
        let result = PQexecParams(conn, sql, Int32(parameters.count), nil, values.pointers, nil, nil, 0)
        return try consume(result)
    }

    /// Runs text through the simple query protocol (`PQexec`). Needed for replication
    /// commands such as `IDENTIFY_SYSTEM`, which the extended protocol does not carry.
    /// Returns the last result when `sql` holds several statements.
    @discardableResult
    public func simpleQuery(_ sql: String) throws(PostgresError) -> QueryResult {
        let conn = try liveHandle()
        return try consume(PQexec(conn, sql))
    }

    private func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, sqlState: nil, message: "the connection is already closed", target: parameters.description)
        }
        return handle
    }

    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> QueryResult {
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
            let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { " (\(String(cString: $0)))" } ?? ""
            throw PostgresError(kind: .query, sqlState: state, message: PostgresError.clean(primary + detail, password: parameters.password), target: parameters.description)
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

/// NUL-terminated copies of Swift strings behind a NULL-terminated pointer array, freed on
/// release. `nil` elements become NULL pointers (SQL NULL for parameters).
final class CStringArray {
    private let count: Int
    /// Valid while this object lives.
    let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>

    init(_ strings: [String?]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            pointers[index] = string.flatMap { UnsafePointer(strdup($0)) }
        }
        pointers[strings.count] = nil
    }

    convenience init(_ strings: [String]) { self.init(strings.map(Optional.some)) }

    deinit {
        for index in 0..<count { free(UnsafeMutablePointer(mutating: pointers[index])) }
        pointers.deallocate()
    }
}
