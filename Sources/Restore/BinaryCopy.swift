import Foundation
import LaterbaseCore
import Synchronization

/// The rows of a library's tables copied from the scratch server into the new library as
/// PostgreSQL's binary COPY, over `jobs` pairs of connections, table after table, the largest
/// first: `restore --at`'s copy without the text round trip. pg_dump then dumps everything but
/// these tables' rows (``excludeArguments``), and ``ParallelFeed`` runs this beside the rest of the
/// data, before any index is built.
///
/// Measured (bench/restore_bench.py, a 400 MB library whose largest table holds bytea): the
/// largest table's rows moved in 1.2 s as binary against 2.0 s as COPY's text, whose hex doubles
/// every byte.
///
/// Only where binary is certain to mean the same on both sides: both servers of one major
/// version, and tables whose every column has a built-in base type (arrays of them included).
/// A user-defined type (an enum, a domain, a composite, an extension's type) has another OID in
/// the new library, and binary arrays and records name element types by OID: such tables, and
/// unlogged ones, stay in pg_dump's text.
struct BinaryCopy: Sendable {
    /// `schema.table`, quoted as pg_dump and `format('%I.%I')` write it.
    struct Table: Sendable, Equatable {
        let name: String
        let schema: String
        let table: String
        let bytes: Int64
        /// The columns COPY moves, quoted and comma-separated, in the source's order: named on
        /// both sides, so a column order pg_dump changed cannot swap values.
        let columns: String
    }

    let source: ConnectionParameters
    let tables: [Table]

    /// The tables of `database` on the scratch server (`source`) to copy as binary; none when the
    /// servers' major versions differ. No statement timeout: a table's copy takes what it takes.
    static func plan(source: ConnectionParameters, target: ConnectionParameters) async throws -> BinaryCopy {
        var source = source
        source.statementTimeoutSeconds = 0
        let rows = try await PostgresConnection.withConnections(source, target) { one, two in
            one.serverVersionNumber / 10_000 == two.serverVersionNumber / 10_000 ? try one.query(Self.eligible).rows : []
        }
        let tables = rows.compactMap { row -> Table? in
            // No columns to copy (all dropped or generated): NULL, left to pg_dump.
            guard row.count == 5, let name = row[0], let schema = row[1], let table = row[2], let columns = row[4] else { return nil }
            return Table(name: name, schema: schema, table: table, bytes: Int64(row[3] ?? "") ?? 0, columns: columns)
        }
        return BinaryCopy(source: source, tables: tables)
    }

    /// Ordinary, permanent tables pg_dump dumps the rows of (not an extension's), every column of
    /// a built-in base type that has a binary form meaning the same in another database (not the
    /// `reg*` types, which send OIDs; not `aclitem`, which has none), arrays of such types
    /// included; with their columns as COPY lists them (pg_dump may order a table's columns
    /// differently: inherited ones first; NULL when there are none); the largest first.
    static let eligible = """
        SELECT format('%I.%I', n.nspname, c.relname), n.nspname, c.relname, pg_table_size(c.oid),
               (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND c.relpersistence = 'p'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                          LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typelem <> 0
                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                            AND (a.atttypid >= 16384 OR t.typtype <> 'b' OR t.typsend::oid = 0 OR t.typreceive::oid = 0
                                 OR t.typname LIKE 'reg%' OR t.typname LIKE '\\_reg%'
                                 OR (e.oid IS NOT NULL AND (e.oid >= 16384 OR e.typtype <> 'b' OR e.typsend::oid = 0
                                                            OR e.typreceive::oid = 0 OR e.typname LIKE 'reg%'))))
        ORDER BY 4 DESC, 1
        """

    /// pg_dump's arguments that leave these tables' rows out (names quoted: matched literally).
    var excludeArguments: [String] {
        tables.map { "--exclude-table-data=\(Self.pattern($0.schema)).\(Self.pattern($0.table))" }
    }

    static func pattern(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Copies every table into `database` on `target` over `jobs` pairs of connections.
    /// - Parameter moved: told the bytes of each row passed on.
    /// - Returns: the bytes moved per table (``Table/name``).
    func run(into target: ConnectionParameters, jobs: Int, moved: @escaping @Sendable (Int) -> Void) async throws -> [String: Int64] {
        guard !tables.isEmpty else { return [:] }
        var unbounded = target
        unbounded.statementTimeoutSeconds = 0
        let (queue, target) = (TableQueue(tables), unbounded)
        let (source, sessions) = (source, min(jobs, tables.count))
        return try await withThrowingTaskGroup(of: [String: Int64].self) { group in
            for _ in 0..<sessions {
                group.addTask {
                    try await PostgresConnection.withConnections(source, target) { from, into in
                        // As pg_dump and its restore do: an error rather than rows silently
                        // filtered by a row-level security policy; text in UTF8 whatever the
                        // source database's encoding (the new library is UTF8, as pg_dump --encoding=UTF8).
                        for connection in [from, into] {
                            try connection.query("SET row_security = off")
                            try connection.query("SET client_encoding = 'UTF8'")
                        }
                        var bytes: [String: Int64] = [:]
                        while let table = queue.next() {
                            bytes[table.name] = try from.copy("COPY \(table.name) (\(table.columns)) TO STDOUT (FORMAT binary)", into: into,
                                                              "COPY \(table.name) (\(table.columns)) FROM STDIN (FORMAT binary)", moved: moved)
                        }
                        return bytes
                    }
                }
            }
            var all: [String: Int64] = [:]
            for try await bytes in group { all.merge(bytes) { $1 } }
            return all
        }
    }
}

/// The tables not yet taken by a session, the largest first.
private final class TableQueue: Sendable {
    private let left: Mutex<ArraySlice<BinaryCopy.Table>>
    init(_ tables: [BinaryCopy.Table]) { left = Mutex(tables[...]) }
    func next() -> BinaryCopy.Table? { left.withLock { $0.popFirst() } }
}
