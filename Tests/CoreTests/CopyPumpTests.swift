import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// ``PostgresConnection/copy(_:into:_:moved:)`` (binary COPY from one connection into another)
/// against a real server: the rows arrive exactly; whichever side fails, or a cancel, ends the
/// receiving COPY with an error, so it keeps none of them.
@Suite("binary COPY from one connection into another", .timeLimit(.minutes(3)))
struct CopyPumpTests {
    static let table = #"CREATE TABLE "Bt Thumb" (id int PRIMARY KEY, blob bytea, name text, tags text[], at timestamptz, n numeric)"#

    /// Databases "from" (with `rows` rows) and "into" (the table empty), then `body`.
    static func withPair(rows: Int = 3000, into extra: String = "", _ body: (PostgresCluster) async throws -> Void) async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase("from")
            try await cluster.createDatabase("into")
            try await cluster.execute(table + ";" + """
                INSERT INTO "Bt Thumb" SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE decode(repeat(md5(g::text), 40 + g % 50), 'hex') END,
                    E'clip \\\\. ' || g || E'\\n\\t', ARRAY['a' || g, NULL, 'ü'], now() - g * interval '1 s', g / 7.0
                FROM generate_series(1, \(rows)) g
                """, database: "from")
            try await cluster.execute(table + ";" + extra, database: "into")
            try await body(cluster)
        }
    }

    static func fingerprint(_ cluster: PostgresCluster, _ database: String) async throws -> String? {
        try await cluster.query(#"SELECT count(*) || ' ' || md5(string_agg(t::text, '|' ORDER BY id)) FROM "Bt Thumb" t"#, database: database).scalar
    }

    static func copy(_ cluster: PostgresCluster, out: String = #"COPY "Bt Thumb" TO STDOUT (FORMAT binary)"#) async throws -> Int64 {
        try await PostgresConnection.withConnections(cluster.parameters(database: "from"), cluster.parameters(database: "into")) { from, into in
            try from.copy(out, into: into, #"COPY "Bt Thumb" FROM STDIN (FORMAT binary)"#)
        }
    }

    @Test("every row arrives as it was: bytea, NULLs, text with COPY's escapes, arrays, times, numerics")
    func rowsArrive() async throws {
        try await Self.withPair { cluster in
            let moved = try await Self.copy(cluster)
            #expect(moved > 2_000_000)
            let source = try await Self.fingerprint(cluster, "from")
            #expect(source?.hasPrefix("3000 ") == true)
            #expect(try await Self.fingerprint(cluster, "into") == source)
        }
    }

    @Test("a row the receiving side refuses: its error, nothing kept")
    func refused() async throws {
        try await Self.withPair(into: #"ALTER TABLE "Bt Thumb" ADD CONSTRAINT small CHECK (id < 2500)"#) { cluster in
            await #expect {
                _ = try await Self.copy(cluster)
            } throws: { error in
                "\(error)".contains("small")
            }
            let kept = try await cluster.query(#"SELECT count(*) FROM "Bt Thumb""#, database: "into").scalar
            #expect(kept == "0")
        }
    }

    @Test("the sending side fails half-way: its error, nothing kept on the receiving side")
    func sourceFails() async throws {
        try await Self.withPair { cluster in
            let failing = #"COPY (SELECT id, blob, name, tags, at, n / (CASE WHEN id = 2000 THEN 0 ELSE 1 END) FROM "Bt Thumb" ORDER BY id) TO STDOUT (FORMAT binary)"#
            await #expect {
                _ = try await Self.copy(cluster, out: failing)
            } throws: { error in
                "\(error)".contains("division by zero")
            }
            let kept = try await cluster.query(#"SELECT count(*) FROM "Bt Thumb""#, database: "into").scalar
            #expect(kept == "0")
        }
    }

    @Test("cancelled mid-copy: CancellationError within seconds, nothing kept, no session left copying")
    func cancelled() async throws {
        try await Self.withPair(rows: 10) { cluster in
            // generate_series in the select list streams its rows (in FROM it would gather them first).
            let endless = #"COPY (SELECT g, NULL::bytea, 'x', NULL::text[], now(), 1 FROM (SELECT generate_series(1000, 2000000000) AS g) s) TO STDOUT (FORMAT binary)"#
            let task = Task { try await Self.copy(cluster, out: endless) }
            let copying = await poll(timeout: .seconds(30), every: .milliseconds(50)) {
                // The receiving COPY shows as idle while it waits for rows.
                (try? await cluster.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%'").scalar) == "2"
            }
            let sessions = (try? await cluster.query("SELECT state, query FROM pg_stat_activity WHERE backend_type = 'client backend'").rows) ?? []
            #expect(copying, "\(sessions)")
            let started = ContinuousClock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            #expect(ContinuousClock.now - started < .seconds(15))
            let kept = try await cluster.query(#"SELECT count(*) FROM "Bt Thumb""#, database: "into").scalar
            #expect(kept == "0")
            let left = await poll(timeout: .seconds(15), every: .milliseconds(100)) {
                (try? await cluster.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%'").scalar) == "0"
            }
            #expect(left)
        }
    }
}
