import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Restore
import Testing

/// The life of a new library against a real server: made under a working name, named only when
/// complete, never over a library made meanwhile; the marker that lets a later restore drop what a
/// killed one left.
@Suite("a new library's life", .timeLimit(.minutes(3)))
struct NewLibraryTests {
    struct OneTable: RestoreSource {
        var label: String { "one table" }
        var logName: String { "one table" }
        var restoredName: String { "one table" }
        /// Runs while the library is filled (before it is named).
        var during: @Sendable () async throws -> Void = {}
        func write(into library: NewLibrary) async throws {
            try await library.fill(from: self) {
                try await PostgresConnection.withConnection(library.target.server.with(database: library.workingName)) { connection in
                    _ = try connection.query("CREATE TABLE t (x int)")
                }
                try await during()
            }
        }
    }

    @Test("named only once complete; a name taken meanwhile is refused in one line and the copy dropped")
    func nameTakenMeanwhile() async throws {
        try await PostgresCluster.withCluster { cluster in
            let target = RestoreTarget(server: cluster.parameters(), logger: Logger(label: "test"))
            let library = try await target.newLibrary(named: "Raced")
            let raced = OneTable(during: {
                #expect(try await cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'Raced'").scalar == "0")
                try await cluster.createDatabase("Raced")
            })
            await #expect {
                try await library.restore(from: raced)
            } throws: { error in
                "\(error)".contains("database \"Raced\" was made on") && !"\(error)".contains("\n")
            }
            #expect(try await cluster.query(#"SELECT count(*) FROM pg_database WHERE datname LIKE 'laterbase\_restoring\_%'"#).scalar == "0")
            #expect(try await cluster.query("SELECT count(*) FROM pg_tables WHERE tablename = 't'", database: "Raced").scalar == "0",
                    "the library made meanwhile is untouched")

            let fine = try await target.newLibrary(named: "Fine")
            try await fine.restore(from: OneTable())
            #expect(try await cluster.query("SELECT count(*) FROM t", database: "Fine").scalar == "0")
            #expect(try await cluster.query("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'Fine'").scalar == nil,
                    "the marker is removed once named")
        }
    }

    @Test("the marker names this process; a process that has ended, or another boot, is recognised; another host is left alone")
    func marker() {
        let me = ProcessIdentity.current
        let marker = RestoreTarget.marker(for: #"Spot "2" by night"#, by: me)
        #expect(RestoreTarget.owner(inMarker: marker) == me)
        #expect(RestoreTarget.owner(inMarker: "a comment someone wrote") == nil)
        #expect(me.hasEnded() == false)
        #expect(ProcessIdentity(host: me.host, boot: me.boot, pid: me.pid, started: me.started + 1).hasEnded() == true, "the PID was reused")
        #expect(ProcessIdentity(host: me.host, boot: "another-boot", pid: me.pid, started: me.started).hasEnded() == true)
        #expect(ProcessIdentity(host: me.host + ".elsewhere", boot: me.boot, pid: me.pid, started: me.started).hasEnded() == nil)
    }
}
