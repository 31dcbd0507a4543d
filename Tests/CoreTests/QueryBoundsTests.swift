import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Synchronization
import Testing

/// Every libpq call is bounded (lock_timeout, statement_timeout, connect_timeout) and
/// cancellable (task cancellation sends PQcancel), on a real server.
@Suite("libpq calls bounded and cancellable", .timeLimit(.minutes(3)))
struct QueryBoundsTests {
    /// Cancels `task` and expects it to end with CancellationError within 5 s; prints how long it took.
    static func expectCancelledPromptly<T: Sendable>(_ task: Task<T, any Error>, _ what: String) async {
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = await task.result
        let elapsed = ContinuousClock.now - cancelled
        print("measured: cancel of \(what) returned after \(elapsed)")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test("cancelling a task blocked in a query returns within 5 s (milliseconds on an idle machine) with CancellationError; the server stops the statement")
    func cancelBlockedQuery() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.execute(#"CREATE TABLE "SM_Project" ("ProjectName" text)"#)
            var parameters = cluster.parameters()
            parameters.applicationName = "laterbase-cancel-test"
            parameters.lockTimeoutSeconds = 600
            parameters.statementTimeoutSeconds = 600
            try await cluster.withTableLocked("SM_Project", database: "postgres") {
                let task = Task { [parameters] in
                    try await PostgresConnection.withConnection(parameters) { connection -> Int in
                        // The first statement waits for the lock; a second one must never be sent.
                        _ = try? connection.query(#"SELECT count(*) FROM "SM_Project""#)
                        _ = try connection.query("SELECT pg_sleep(600)")
                        return 1
                    }
                }
                let waiting = try await poll(timeout: .seconds(20)) { try await cluster.sessionsWaitingForLock(application: "laterbase-cancel-test") == 1 }
                #expect(waiting, "the query never started waiting for the lock")
                await Self.expectCancelledPromptly(task, "a query blocked on a held lock")
                let gone = try await poll(timeout: .seconds(10)) { try await cluster.sessions(application: "laterbase-cancel-test") == 0 }
                #expect(gone, "the server still runs the cancelled session")
            }
        }
    }

    @Test("a statement to a backend that cannot answer (stopped) fails 10 s after its statement_timeout, naming the bound; the server serves new sessions")
    func stoppedBackend() async throws {
        try await PostgresCluster.withCluster { cluster in
            var parameters = cluster.parameters()
            parameters.statementTimeoutSeconds = 1
            let started = Mutex<ContinuousClock.Instant?>(nil)
            let error = await #expect(throws: PostgresError.self) {
                try await PostgresConnection.withConnection(parameters) { connection in
                    let pid = try #require(connection.query("SELECT pg_backend_pid()").scalar.flatMap(Int32.init))
                    // The backend keeps its socket but never reads it: statement_timeout cannot fire.
                    kill(pid, SIGSTOP)
                    defer { kill(pid, SIGCONT) }
                    started.withLock { $0 = .now }
                    return try connection.query("SELECT 1")
                }
            }
            let elapsed = ContinuousClock.now - (started.withLock { $0 } ?? .now)
            print("measured: a statement to a stopped backend gave up after \(elapsed) (statement_timeout 1 s)")
            #expect(elapsed >= .seconds(11) && elapsed < .seconds(20), "took \(elapsed)")
            #expect(error?.kind == .unreachable)
            #expect(error?.description.contains("no answer within 11 s (Laterbase's statement_timeout of 1 s + 10 s)") == true, "\(String(describing: error))")
            let after = try await cluster.query("SELECT 2").scalar
            #expect(after == "2")
        }
    }

    @Test("cancelling a task whose backend cannot answer (stopped) returns within 5 s with CancellationError")
    func cancelStoppedBackend() async throws {
        try await PostgresCluster.withCluster { cluster in
            var parameters = cluster.parameters()
            parameters.statementTimeoutSeconds = 600
            let backend = Mutex<Int32?>(nil)
            defer { if let pid = backend.withLock({ $0 }) { kill(pid, SIGCONT) } }
            let task = Task { [parameters] in
                try await PostgresConnection.withConnection(parameters) { connection in
                    let pid = try #require(connection.query("SELECT pg_backend_pid()").scalar.flatMap(Int32.init))
                    kill(pid, SIGSTOP)
                    backend.withLock { $0 = pid }
                    return try connection.query("SELECT 1").scalar
                }
            }
            #expect(await poll(timeout: .seconds(20)) { backend.withLock { $0 } != nil })
            try await Task.sleep(for: .milliseconds(300))
            await Self.expectCancelledPromptly(task, "a statement to a stopped backend")
        }
    }

    @Test("cancelling a task that is still connecting returns at once")
    func cancelWhileConnecting() async throws {
        let listener = try BlackholeListener()
        defer { listener.close() }
        let parameters = ConnectionParameters(host: "127.0.0.1", port: listener.port, password: Secret("x"), sslMode: "disable", connectTimeoutSeconds: 60)
        let task = Task { try await PostgresConnection.withConnection(parameters) { _ in } }
        try await Task.sleep(for: .milliseconds(500))
        await Self.expectCancelledPromptly(task, "a connection attempt")
    }

    @Test("every session carries Laterbase's lock_timeout and statement_timeout; a held lock fails within the bound, naming it")
    func sessionBounds() async throws {
        try await PostgresCluster.withCluster { cluster in
            // A session as Laterbase opens it (the tests' own sessions allow longer statements).
            let product = PrimarySettings(host: "127.0.0.1", port: cluster.port, user: cluster.superuser, password: cluster.password, sslMode: "disable").connection()
            let shown = try await PostgresConnection.withConnection(product) { connection in
                [try connection.query("SHOW lock_timeout").scalar, try connection.query("SHOW statement_timeout").scalar]
            }
            #expect(shown == ["10s", "1min"])
            // The same defaults reach every connection Laterbase makes: primary, standby checks, backups.
            let primary = PrimarySettings(host: "127.0.0.1").connection()
            #expect(primary.keywordValuePairs().contains { $0 == ("options", "-c lock_timeout=10000 -c statement_timeout=60000") })

            try await cluster.execute(#"CREATE TABLE "SM_Project" ("ProjectName" text)"#)
            var parameters = cluster.parameters()
            parameters.lockTimeoutSeconds = 2
            try await cluster.withTableLocked("SM_Project", database: "postgres") {
                let started = ContinuousClock.now
                let error = await #expect(throws: PostgresError.self) {
                    try await PostgresConnection.withConnection(parameters) { try $0.query(#"SELECT * FROM "SM_Project""#) }
                }
                let elapsed = ContinuousClock.now - started
                print("measured: a statement on a held lock failed after \(elapsed) with lock_timeout 2 s")
                #expect(elapsed >= .seconds(2) && elapsed < .seconds(10), "took \(elapsed)")
                #expect(error?.sqlState == "55P03")
                #expect(error?.description.contains("canceling statement due to lock timeout; Laterbase's lock_timeout for this session is 2 s") == true,
                        "\(String(describing: error))")
            }

            parameters.statementTimeoutSeconds = 1
            let slow = await #expect(throws: PostgresError.self) {
                try await PostgresConnection.withConnection(parameters) { try $0.query("SELECT pg_sleep(30)") }
            }
            #expect(slow?.kind == .query)
            #expect(slow?.sqlState == "57014")
            #expect(slow?.description.contains("Laterbase's statement_timeout for this session is 1 s") == true, "\(String(describing: slow))")
        }
    }

    @Test("clean-up connections run to their end in a cancelled task")
    func uncancellableCleanup() async throws {
        try await PostgresCluster.withCluster { cluster in
            let parameters = cluster.parameters()
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await PostgresConnection.withConnection(parameters, cancellable: false) { try $0.query("SELECT 42").scalar }
            }
            let value = try await task.value
            #expect(value == "42")
        }
    }
}
