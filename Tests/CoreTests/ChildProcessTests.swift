import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("Child processes", .timeLimit(.minutes(3)))
struct ChildProcessTests {
    @Test("no child inherits the agent's own secret variables (REPL_PASSWORD, CONSOLE_PASSWORD)")
    func withholdsSecrets() async throws {
        // CONSOLE_PASSWORD only: no other test reads it from this process's environment.
        setenv("CONSOLE_PASSWORD", "withheld-from-children", 1)
        defer { unsetenv("CONSOLE_PASSWORD") }
        var child = ChildProcess("/usr/bin/env", [])
        child.environment = ["LATERBASE_CHILD_MARK": "1"]
        let output = try await child.output()
        #expect(output.contains("LATERBASE_CHILD_MARK=1"))
        #expect(!output.contains("withheld-from-children") && !output.contains("CONSOLE_PASSWORD="))
        #expect(ChildProcess.withheld.contains("REPL_PASSWORD"))
    }

    @Test("a program pointed at a server gets the connection from Laterbase only: PGSERVICE and PGOPTIONS are removed, not inherited")
    func connectRemovesOverrides() {
        var child = ChildProcess("/usr/bin/env", [])
        child.connect(to: ConnectionParameters(host: "127.0.0.1", sslMode: "disable"), application: "test")
        for name in ChildEnvironment.libpqOverrides {
            // A key with a nil value removes the variable from the child; a missing key would inherit it.
            #expect(child.environment.keys.contains(name) && child.environment[name]! == nil, "\(name)")
        }
        #expect(child.environment["PGHOST"]! == "127.0.0.1")
    }

    @Test("pg_dump streams its output; the password travels in the environment only")
    func streamsOutput() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.execute(#"CREATE TABLE "SM_Project" ("ProjectName" text); INSERT INTO "SM_Project" VALUES ('Commercial ''26')"#)
            var dump = ChildProcess(try cluster.tools.require("pg_dump"),
                                    ["-h", "127.0.0.1", "-p", String(cluster.port), "-U", "postgres", "-d", "postgres", "--no-password"])
            dump.secretEnvironment = ["PGPASSWORD": cluster.password]
            #expect(!dump.arguments.joined(separator: " ").contains(cluster.password.reveal()))
            let sql = try await dump.output()
            #expect(sql.contains(#"CREATE TABLE public."SM_Project""#))
            #expect(sql.contains("Commercial '26"))
        }
    }

    @Test("a non-zero exit throws with what the tool said on stderr, and no password")
    func failureCarriesStderr() async throws {
        try await PostgresCluster.withCluster { cluster in
            var dump = ChildProcess(try cluster.tools.require("pg_dump"),
                                    ["-h", "127.0.0.1", "-p", String(cluster.port), "-U", "postgres", "-d", "NoSuchLibrary", "--no-password"])
            dump.secretEnvironment = ["PGPASSWORD": cluster.password]
            let error = await #expect(throws: ChildProcessError.self) { try await dump.output() }
            #expect(error?.tool == "pg_dump")
            #expect(error?.status == "exited(1)")
            #expect(error?.description.contains("database \"NoSuchLibrary\" does not exist") == true)
            #expect(error?.description.contains(cluster.password.reveal()) == false)
        }
    }

    @Test("the server's DETAIL lines (row values) are not part of the error's text")
    func detailLinesLeftOut() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.execute("CREATE TABLE names (name text UNIQUE); INSERT INTO names VALUES ('Client Project Nda-7')")
            var psql = ChildProcess(try cluster.tools.require("psql"), ["-X", "-v", "ON_ERROR_STOP=1", "-c", "INSERT INTO names VALUES ('Client Project Nda-7')"])
            psql.connect(to: cluster.parameters(), application: "laterbase-tests")
            let error = await #expect(throws: ChildProcessError.self) { try await psql.output() }
            #expect(error?.stderr.contains("Key (name)=(Client Project Nda-7) already exists") == true, "\(String(describing: error?.stderr))")
            #expect(error?.description.contains("duplicate key value violates unique constraint") == true)
            #expect(error?.description.contains("Client Project Nda-7") == false, "\(String(describing: error))")
        }
    }

    @Test("cancelling the task stops the child with SIGTERM within the grace period")
    func cancellation() async throws {
        let marker = NSTemporaryDirectory() + "laterbase-term-\(UUID().uuidString)"
        defer { unlink(marker) }
        // The child records that it got SIGTERM, proving the teardown was graceful and not SIGKILL.
        var child = ChildProcess("/bin/sh", ["-c", "trap 'echo term > \(marker); exit 143' TERM; echo started; while :; do sleep 0.1; done"])
        // A grace period far above any delay a loaded machine adds: ending well before it proves
        // the child went at SIGTERM, not at the SIGKILL that follows the grace period.
        child.gracePeriod = .seconds(30)
        let started = ContinuousClock.now
        let task = Task { try await child.run(onOutput: { _ in }) }
        try await Task.sleep(for: .milliseconds(500))
        task.cancel()
        _ = await task.result
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "term\n")
    }

    @Test("a program that does not exist fails with a message naming it")
    func missingProgram() async {
        let error = await #expect(throws: ChildProcessError.self) {
            try await ChildProcess("/nonexistent/pg_dump", []).output()
        }
        #expect(error?.description.hasPrefix("pg_dump failed") == true)
    }
}
