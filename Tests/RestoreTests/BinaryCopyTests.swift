import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Restore
import Testing

/// `restore --at`'s copy with binary COPY beside pg_dump (``BinaryCopy``, ``LibraryCopy``) against
/// a real server and the real pg_dump: which tables go as binary (only where binary means the same
/// in the new library), the library arriving whole whichever way each table went, and a dump that
/// still holds a binary table's rows refused rather than loaded twice.
@Suite("undo window: binary copy beside pg_dump", .serialized, .timeLimit(.minutes(3)))
struct BinaryCopyTests {
    /// Tables of every kind the choice tells apart; a name that needs quoting, pattern characters included.
    static let library = #"""
        CREATE TYPE mood AS ENUM ('calm', 'busy');
        CREATE DOMAIN frames AS int CHECK (VALUE >= 0);
        CREATE TABLE plain (id serial PRIMARY KEY, blob bytea, note text, tags int[]);
        CREATE TABLE with_enum (id int PRIMARY KEY, m mood);
        CREATE TABLE with_enum_array (id int, ms mood[]);
        CREATE TABLE with_domain (id int, f frames);
        CREATE UNLOGGED TABLE scratchpad (id int);
        CREATE TABLE empty_one (id int);
        CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at);
        CREATE TABLE parted_2026 PARTITION OF parted FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE SCHEMA "Odd ""Schema""";
        CREATE TABLE "Odd ""Schema"""."T*?.x" (id int REFERENCES plain(id), v text);
        CREATE INDEX plain_note ON plain (note);
        CREATE TABLE base_t (a int);
        CREATE TABLE child_t (b int) INHERITS (base_t);
        ALTER TABLE base_t ADD COLUMN c text;
        CREATE TABLE refs (r regclass, acl aclitem[]);
        CREATE TABLE generated_t (x int, y int GENERATED ALWAYS AS (x * 2) STORED, z int GENERATED ALWAYS AS IDENTITY);
        INSERT INTO plain (blob, note, tags) SELECT decode(repeat('ab', 2000), 'hex'), E'n\\.\n' || g, ARRAY[g, NULL] FROM generate_series(1, 2000) g;
        INSERT INTO with_enum SELECT g, CASE WHEN g % 2 = 0 THEN 'calm' ELSE 'busy' END::mood FROM generate_series(1, 50) g;
        INSERT INTO with_enum_array VALUES (1, ARRAY['calm', 'busy']::mood[]);
        INSERT INTO with_domain VALUES (1, 24), (2, 25);
        INSERT INTO scratchpad VALUES (1);
        INSERT INTO parted SELECT g, date '2026-01-01' + g FROM generate_series(1, 300) g;
        INSERT INTO "Odd ""Schema"""."T*?.x" SELECT g, 'v' || g FROM generate_series(1, 100) g;
        INSERT INTO child_t (a, b, c) SELECT g, g + 1, 'c' || g FROM generate_series(1, 20) g;
        INSERT INTO base_t VALUES (99, 'base');
        INSERT INTO refs VALUES ('plain', ARRAY['postgres=r/postgres']::aclitem[]);
        INSERT INTO generated_t (x) SELECT g FROM generate_series(1, 10) g;
        SELECT setval('plain_id_seq', 4242);
        """#

    static func fingerprints(_ cluster: PostgresCluster, _ database: String) async throws -> [String] {
        let tables = try await cluster.query("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1", database: database).rows.compactMap { $0[0] }
        var result: [String] = []
        for table in tables {
            // By column name (jsonb): pg_dump may order an inheriting table's columns differently.
            result.append("\(table): " + (try await cluster.query("SELECT count(*) || ' ' || coalesce(md5(string_agg(to_jsonb(t)::text, '|' ORDER BY to_jsonb(t)::text)), '') FROM \(table) t", database: database).scalar ?? ""))
        }
        return result + ["seq " + (try await cluster.query("SELECT last_value::text FROM plain_id_seq", database: database).scalar ?? "")]
    }

    /// `pg_dump` of "src", with `binary`'s tables left out unless `exclude` is false.
    static func dump(_ cluster: PostgresCluster, _ binary: BinaryCopy, exclude: Bool = true) throws -> ChildProcess {
        var dump = ChildProcess(try cluster.tools.require("pg_dump"), ["--no-password", "--format=plain", "--encoding=UTF8", "--no-sync"] + (exclude ? binary.excludeArguments : []))
        dump.connect(to: cluster.parameters(database: "src"), application: "test")
        return dump
    }

    static func withLibrary(_ body: (PostgresCluster, BinaryCopy) async throws -> Void) async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase("src")
            try await cluster.execute(library, database: "src")
            let binary = try await BinaryCopy.plan(source: cluster.parameters(database: "src"), target: cluster.parameters())
            try await body(cluster, binary)
        }
    }

    @Test("binary only for tables of built-in types with a binary form that means the same elsewhere: not an enum, an enum array, a domain, regclass or aclitem[], an unlogged table or a partitioned parent")
    func choice() async throws {
        try await Self.withLibrary { _, binary in
            #expect(binary.tables.map(\.name).sorted() == [#""Odd ""Schema"""."T*?.x""#, "public.base_t", "public.child_t", "public.empty_one",
                                                            "public.generated_t", "public.parted_2026", "public.plain"])
            #expect(binary.tables.first { $0.name == "public.child_t" }?.columns == "a, b, c")
            #expect(binary.tables.first { $0.name == "public.generated_t" }?.columns == "x, z")
            #expect(binary.tables.first?.name == "public.plain", "the largest first")
            #expect(binary.excludeArguments.contains(#"--exclude-table-data="Odd ""Schema"""."T*?.x""#))
        }
    }

    @Test("pg_dump without those tables' rows and the binary copy beside it: the same library, every table and sequence")
    func wholeLibrary() async throws {
        try await Self.withLibrary { cluster, binary in
            var copy = LibraryCopy(dump: try Self.dump(cluster, binary), fifo: NSTemporaryDirectory() + "unused.fifo")
            copy.binary = binary
            let library = try await LibraryCopyTests.target(cluster, jobs: 2).newLibrary(named: "copied")
            let dumped = Flag()
            try await copy.run(into: library, from: LibraryCopyTests.TestSource(), dumped: { dumped.set() })
            #expect(dumped.value)
            let source = try await Self.fingerprints(cluster, "src")
            #expect(source.count == 14)
            #expect(try await Self.fingerprints(cluster, "copied") == source)
            #expect(try await cluster.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'plain_note'", database: "copied").scalar == "1")
        }
    }

    @Test("a LATIN1 library: its text arrives as the same characters in the new (UTF8) library")
    func latin1() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.execute("CREATE DATABASE src ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
            // Written in ASCII SQL (this connection's encoding is the database's): the UTF-8 of "Müller · Ærø".
            try await cluster.execute(#"CREATE TABLE names (id int, name text); INSERT INTO names VALUES (1, convert_from('\x4dc3bc6c6c657220c2b720c38672c3b8'::bytea, 'UTF8')), (2, 'plain')"#, database: "src")
            let binary = try await BinaryCopy.plan(source: cluster.parameters(database: "src"), target: cluster.parameters())
            #expect(binary.tables.map(\.name) == ["public.names"])
            var copy = LibraryCopy(dump: try Self.dump(cluster, binary), fifo: NSTemporaryDirectory() + "unused.fifo")
            copy.binary = binary
            try await copy.run(into: try await LibraryCopyTests.target(cluster, jobs: 2).newLibrary(named: "utf8"), from: LibraryCopyTests.TestSource(), dumped: {})
            #expect(try await cluster.query("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'utf8'").scalar == "UTF8")
            #expect(try await cluster.query("SELECT convert_to(name, 'LATIN1') = '\\x4dfc6c6c657220b720c672f8'::bytea FROM names WHERE id = 1", database: "src").scalar == "t",
                    "stored as LATIN1")
            let arrived = try await cluster.query("SELECT name FROM names WHERE id = 1", database: "utf8").scalar
            #expect(arrived == "Müller · Ærø")
        }
    }

    @Test("a dump that still holds a binary table's rows: refused in one line, not loaded twice; nothing left")
    func loadedTwice() async throws {
        try await Self.withLibrary { cluster, binary in
            var copy = LibraryCopy(dump: try Self.dump(cluster, binary, exclude: false), fifo: NSTemporaryDirectory() + "unused.fifo")
            copy.binary = binary
            let library = try await LibraryCopyTests.target(cluster, jobs: 2).newLibrary(named: "twice")
            await #expect {
                try await copy.run(into: library, from: LibraryCopyTests.TestSource(), dumped: {})
            } throws: { error in
                "\(error)".contains("would be loaded twice") && !"\(error)".contains("\n")
            }
            #expect(try await cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'twice' OR datname LIKE 'laterbase_restoring_%'").scalar == "0")
        }
    }
}
