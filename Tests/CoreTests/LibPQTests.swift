import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// The libpq binding against a real PostgreSQL started for these tests.
@Suite("libpq binding on a real server", .timeLimit(.minutes(3)))
struct LibPQTests {
    @Test("query, parameters with awkward input, mixed-case identifiers")
    func queries() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.createDatabase("Resolve Library ü")
            let awkward = "O'Brien \"the\" editor; DROP TABLE x; -- \\ 项目 🎬"
            let rows = try await PostgresConnection.withConnection(cluster.parameters(database: "Resolve Library ü")) { connection in
                try connection.query("""
                    CREATE TABLE "SM_Project" ("SM_Project_id" serial PRIMARY KEY, "ProjectName" text NOT NULL, "Folder" text)
                    """)
                let inserted = try connection.query(#"INSERT INTO "SM_Project" ("ProjectName", "Folder") VALUES ($1, $2), ($3, NULL)"#,
                                                    [awkward, "Clients/2026", "Plain"])
                #expect(inserted.affectedRows == 2)
                #expect(connection.serverVersionNumber >= 130000)
                return try connection.query(#"SELECT "ProjectName", "Folder" FROM "SM_Project" WHERE "ProjectName" = $1 OR "Folder" IS NULL ORDER BY 1"#, [awkward])
            }
            #expect(rows.columns == ["ProjectName", "Folder"])
            #expect(rows.rows == [[awkward, "Clients/2026"], ["Plain", nil]])

            let quoted = try await cluster.query("SELECT \(SQLQuoting.literal(awkward)) AS v, current_database() AS db",
                                                 database: "Resolve Library ü")
            #expect(quoted.value(0, "v") == awkward)
            #expect(quoted.value(0, "db") == "Resolve Library ü")
            let table = try await cluster.query("SELECT count(*) FROM \(SQLQuoting.identifier("SM_Project"))", database: "Resolve Library ü")
            #expect(table.scalar == "2")
        }
    }

    @Test("a failing statement carries SQLSTATE and the server's message")
    func queryError() async throws {
        try await PostgresCluster.withCluster { cluster in
            let error = await #expect(throws: PostgresError.self) {
                try await cluster.query(#"SELECT * FROM "SM_Project""#)
            }
            #expect(error?.kind == .query)
            #expect(error?.sqlState == "42P01")
            #expect(error?.message.contains("relation \"SM_Project\" does not exist") == true)
        }
    }

    @Test("the server's DETAIL, which quotes row values, stays out of the description")
    func detailKeptApart() async throws {
        try await PostgresCluster.withCluster { cluster in
            try await cluster.execute("CREATE TABLE names (name text UNIQUE); INSERT INTO names VALUES ('Client Project Nda-7')")
            let error = await #expect(throws: PostgresError.self) {
                try await cluster.query("INSERT INTO names VALUES ($1)", ["Client Project Nda-7"])
            }
            #expect(error?.sqlState == "23505")
            #expect(error?.detail?.contains("Client Project Nda-7") == true)
            #expect(error.map { "\($0)" }?.contains("Client Project Nda-7") == false, "\(String(describing: error))")
            #expect(error?.description.contains("duplicate key value violates unique constraint") == true)
        }
    }

    @Test("a wrong password: clear message, no secret in it")
    func wrongPassword() async throws {
        try await PostgresCluster.withCluster { cluster in
            var parameters = cluster.parameters()
            let wrong = "Wrong-Secret-\(UUID().uuidString)"
            parameters.password = Secret(wrong)
            let error = await #expect(throws: PostgresError.self) {
                try await PostgresConnection.withConnection(parameters) { _ in }
            }
            #expect(error?.kind == .authentication)
            #expect(error?.sqlState == "28P01")
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("password authentication failed for user \"postgres\""))
            #expect(text.contains("refused the login"))
            #expect(!text.contains(wrong))
            #expect(!text.contains(cluster.password.reveal()))
            #expect(!text.contains("\n"))
        }
    }

    @Test("an unreachable host fails within the connect timeout")
    func unreachable() async throws {
        // A TCP listener that accepts nothing: connections hang until libpq's timeout fires.
        let listener = try BlackholeListener()
        defer { listener.close() }
        let parameters = ConnectionParameters(host: "127.0.0.1", port: listener.port, password: Secret("x"),
                                              sslMode: "disable", connectTimeoutSeconds: 2)
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(parameters) { _ in }
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .unreachable, "\(String(describing: error))")
        #expect(elapsed < .seconds(6), "took \(elapsed)")
        #expect(elapsed >= .seconds(1), "the timeout was not exercised (\(elapsed))")

        let closedPort = try FreePort.find()
        let refused = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(ConnectionParameters(host: "127.0.0.1", port: closedPort, sslMode: "disable")) { _ in }
        }
        #expect(refused?.kind == .unreachable)
        #expect(refused?.description.contains("cannot reach PostgreSQL at postgres@127.0.0.1:\(closedPort)") == true)
    }

    @Test("replication connection: IDENTIFY_SYSTEM and physical slots")
    func replication() async throws {
        try await PostgresCluster.withCluster(.init(replication: true)) { cluster in
            let identity = try await PostgresConnection.withConnection(cluster.parameters(replication: true)) { connection in
                let identity = try connection.identifySystem()
                try connection.createPhysicalSlot("laterbase_test_slot")
                let duplicate = #expect(throws: PostgresError.self) { try connection.createPhysicalSlot("laterbase_test_slot") }
                #expect(duplicate?.sqlState == "42710")
                return identity
            }
            #expect(identity.timeline == 1)
            #expect(identity.systemID.count >= 15)
            #expect(identity.walPosition.contains("/"))
            let slot = try await cluster.query("SELECT slot_type, restart_lsn IS NOT NULL AS reserved FROM pg_replication_slots WHERE slot_name = $1",
                                               ["laterbase_test_slot"])
            #expect(slot.rows == [["physical", "t"]])
            let controlID = try await cluster.query("SELECT system_identifier::text FROM pg_control_system()")
            #expect(controlID.scalar == identity.systemID)
            try await PostgresConnection.withConnection(cluster.parameters(replication: true)) { try $0.dropSlot("laterbase_test_slot") }
            #expect(try await cluster.query("SELECT count(*) FROM pg_replication_slots").scalar == "0")
        }
    }

    @Test("the harness removes the cluster also when the test body throws")
    func harnessCleanup() async throws {
        struct Boom: Error {}
        var root = ""
        var port = 0
        await #expect(throws: Boom.self) {
            try await PostgresCluster.withCluster { cluster in
                root = cluster.root
                port = cluster.port
                throw Boom()
            }
        }
        #expect(!root.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root))
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.withConnection(ConnectionParameters(host: "127.0.0.1", port: port, sslMode: "disable", connectTimeoutSeconds: 2)) { _ in }
        }
        #expect(error?.kind == .unreachable)
    }
}
