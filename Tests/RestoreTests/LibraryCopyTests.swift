import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Restore
import Testing

/// The copy of `restore --at` (pg_dump → FIFO → psql, ``LibraryCopy``) against a real
/// server and psql, with a shell script standing in for pg_dump's end so that each way it can
/// fail is reproducible: the new database is dropped whichever end fails, and the message
/// names the end that failed.
@Suite("undo window: the copy through a FIFO", .serialized, .timeLimit(.minutes(3)))
struct LibraryCopyTests {
    /// Runs a LibraryCopy whose "pg_dump" is `script` (it gets `--file=FIFO` as `$1`).
    /// `made`: the library made beforehand (as `restore --at` makes it beside the replay).
    func copy(_ script: String, into database: String, on cluster: PostgresCluster, made: NewLibrary? = nil, jobs: Int = 1) async throws -> Bool {
        let folder = NSTemporaryDirectory() + "laterbase-copy-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let library: NewLibrary
        if let made { library = made } else { library = try await Self.target(cluster, jobs: jobs).newLibrary(named: database) }
        let dump = ChildProcess("/bin/sh", ["-c", "f=${1#--file=}; " + script, "pg_dump"])
        let dumped = Flag()
        try await LibraryCopy(dump: dump, fifo: folder + "/dump.fifo").run(into: library, from: TestSource(), dumped: { dumped.set() })
        #expect(!FileManager.default.fileExists(atPath: folder + "/dump.fifo"))
        return dumped.value
    }

    static func target(_ cluster: PostgresCluster, jobs: Int = 1) -> RestoreTarget {
        RestoreTarget(server: cluster.parameters(), logger: Logger(label: "test"), jobs: jobs)
    }

    struct TestSource: RestoreSource {
        var label: String { "test" }
        var logName: String { "test" }
        var restoredName: String { "test" }
        func write(into library: NewLibrary) async throws {}
    }

    func exists(_ database: String, _ cluster: PostgresCluster) async throws -> Bool {
        try await cluster.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).rows.count == 1
    }

    @Test("the dump reaches the new database; `dumped` runs once the dump has ended")
    func success() async throws {
        try await PostgresCluster.withCluster { cluster in
            let dumped = try await copy(#"printf 'CREATE TABLE t (x int);\nCOPY t FROM stdin;\n1\n2\n\\.\n' > "$f""#, into: "copied", on: cluster)
            #expect(dumped)
            #expect(try await cluster.query("SELECT count(*) FROM t", database: "copied").scalar == "2")
        }
    }

    @Test("made beforehand closed to connections (restore --at, beside the replay): nobody can open it until the copy, which opens it")
    func createdClosed() async throws {
        try await PostgresCluster.withCluster { cluster in
            let library = try await Self.target(cluster).newLibrary(named: "closed")
            try await library.create(connectable: false, cancellable: false)
            // Made under its working name, closed; the name asked for appears only once it is complete.
            #expect(try await cluster.query("SELECT datallowconn::text FROM pg_database WHERE datname = $1", [library.workingName]).scalar == "false")
            #expect(try await exists("closed", cluster) == false)
            await #expect(throws: (any Error).self) { try await cluster.query("SELECT 1", database: library.workingName) }
            let dumped = try await copy(#"printf 'CREATE TABLE t (x int);\nINSERT INTO t VALUES (7);\n' > "$f""#, into: "closed", on: cluster, made: library)
            #expect(dumped)
            #expect(try await cluster.query("SELECT x FROM t", database: "closed").scalar == "7")
            #expect(try await cluster.query("SELECT datallowconn::text FROM pg_database WHERE datname = 'closed'").scalar == "true")
        }
    }

    @Test("psql fails (an SQL error): its reason is told, the dump is stopped, the new database dropped")
    func psqlFails() async throws {
        try await PostgresCluster.withCluster { cluster in
            let started = ContinuousClock.now
            await #expect {
                _ = try await copy(#"exec > "$f"; printf 'CREATE TABLE t (x int);\nSELECT 1/0;\n'; exec sleep 60"#, into: "half", on: cluster)
            } throws: { error in
                "\(error)".contains("division by zero") && "\(error)".contains("\"half\" was removed again") && !"\(error)".contains("\n")
            }
            #expect(ContinuousClock.now - started < .seconds(20))
            let left = try await exists("half", cluster)
            #expect(left == false)
        }
    }

    @Test("psql fails while the dump writes on (the dump then loses its reader): psql's reason is told")
    func psqlFailsWhileDumping() async throws {
        try await PostgresCluster.withCluster { cluster in
            await #expect {
                _ = try await copy(#"exec > "$f"; printf 'CREATE TABLE t (x int);\nSELECT 1/0;\n'; while :; do printf -- '-- more\n'; done"#, into: "busy", on: cluster)
            } throws: { error in
                "\(error)".contains("division by zero") && "\(error)".contains("\"busy\" was removed again")
            }
            let left = try await exists("busy", cluster)
            #expect(left == false)
        }
    }

    @Test("the dump fails midway: its reason is told and the new database dropped, although psql read a clean end")
    func dumpFailsMidway() async throws {
        try await PostgresCluster.withCluster { cluster in
            await #expect {
                _ = try await copy(#"printf 'CREATE TABLE t (x int);\n' > "$f"; echo 'pg_dump: error: connection to server lost' >&2; exit 1"#, into: "cut", on: cluster)
            } throws: { error in
                "\(error)".contains("connection to server lost") && "\(error)".contains("\"cut\" was removed again")
            }
            let left = try await exists("cut", cluster)
            #expect(left == false)
        }
    }

    @Test("the dump fails before it opens the FIFO (psql waits to open it): psql is stopped, the new database dropped")
    func dumpFailsAtOnce() async throws {
        try await PostgresCluster.withCluster { cluster in
            let started = ContinuousClock.now
            await #expect {
                _ = try await copy(#"echo 'pg_dump: error: could not connect to the scratch server' >&2; exit 1"#, into: "never", on: cluster)
            } throws: { error in
                "\(error)".contains("could not connect to the scratch server")
            }
            #expect(ContinuousClock.now - started < .seconds(20))
            let left = try await exists("never", cluster)
            #expect(left == false)
        }
    }

    /// A plain dump as pg_dump writes it to its standard output (`RESTORE_JOBS` > 1).
    static let plainDump = #"""
        SET statement_timeout = 0;
        --
        -- Name: t; Type: TABLE; Schema: public; Owner: -
        --
        CREATE TABLE public.t (x int);
        --
        -- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: -
        --
        COPY public.t (x) FROM stdin;
        1
        2
        \.
        --
        -- Name: t_x; Type: INDEX; Schema: public; Owner: -
        --
        CREATE UNIQUE INDEX t_x ON public.t USING btree (x);
        """#

    @Test("several sessions: the dump reaches the new database through the agent; a session's failure and the dump's own are told, the database dropped")
    func parallel() async throws {
        try await PostgresCluster.withCluster { cluster in
            let dump = Self.plainDump
            #expect(try await copy("cat <<'EOF'\n\(dump)\nEOF", into: "parallel", on: cluster, jobs: 2))
            #expect(try await cluster.query("SELECT string_agg(x::text, ',' ORDER BY x) FROM t", database: "parallel").scalar == "1,2")
            #expect(try await cluster.query("SELECT count(*) FROM pg_indexes WHERE indexname = 't_x'", database: "parallel").scalar == "1")

            let failing = dump.replacingOccurrences(of: "2\n", with: "two\n")
            await #expect {
                _ = try await copy("cat <<'EOF'\n\(failing)\nEOF\nexec sleep 60", into: "refused", on: cluster, jobs: 2)
            } throws: { error in
                "\(error)".contains("invalid input syntax") && "\(error)".contains("\"refused\" was removed again") && !"\(error)".contains("\n")
            }
            let refusedLeft = try await exists("refused", cluster)
            #expect(refusedLeft == false)

            await #expect {
                _ = try await copy("printf 'CREATE TABLE t (x int);\\n'; echo 'pg_dump: error: connection to server lost' >&2; exit 1", into: "cut2", on: cluster, jobs: 2)
            } throws: { error in
                "\(error)".contains("connection to server lost") && "\(error)".contains("\"cut2\" was removed again")
            }
            let cutLeft = try await exists("cut2", cluster)
            #expect(cutLeft == false)
        }
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func set() { lock.withLock { raised = true } }
    var value: Bool { lock.withLock { raised } }
}
