import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// A library in a tablespace of its own: the base backup carries it as `OID.tar` and names its
/// folder on the Resolve server in `tablespace_map`. The scratch server gets its own copy; it
/// must never replay into the Resolve server's folder, which exists here (the agent and the
/// test server share the host, as on a facility that runs the agent beside Resolve's server).
@Suite("undo window: restore --at of a library in a tablespace", .serialized, .timeLimit(.minutes(5)))
struct RestoreAtTablespaceTests {
    /// Size and modification time of every file under `folder`.
    static func files(under folder: String) -> [String: String] {
        var found: [String: String] = [:]
        let manager = FileManager.default
        for case let path as String in manager.enumerator(atPath: folder) ?? FileManager.DirectoryEnumerator() {
            guard let attributes = try? manager.attributesOfItem(atPath: folder + "/" + path), attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            found[path] = "\(attributes[.size] ?? 0) \(modified)"
        }
        return found
    }

    @Test("a library in its own tablespace comes back as it was at TIME; the Resolve server's tablespace folder on this host is left untouched")
    func libraryInTablespace() async throws {
        // No autovacuum: the live server must not touch the tablespace's files while the restore runs.
        try await ArchiveHarness.with(settings: ["autovacuum = off"]) { cluster, archive in
            let space = cluster.root + "/fast-disk"
            try FileManager.default.createDirectory(atPath: space, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            if let account = cluster.account { try account.own(recursively: space) }
            try await cluster.execute("CREATE TABLESPACE fast LOCATION '\(space)'")
            try await cluster.execute(#"CREATE DATABASE "Grading" TEMPLATE template0 ENCODING 'UTF8' TABLESPACE fast"#)
            try await cluster.execute("CREATE TABLE grades AS SELECT i AS id FROM generate_series(1, 1000) i", database: "Grading")
            let agent = try archive.startAgent()
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            try await cluster.execute("INSERT INTO grades SELECT i FROM generate_series(1001, 1500) i", database: "Grading")
            try await Task.sleep(for: .milliseconds(1500))
            let noted = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1500))
            try await cluster.execute("DELETE FROM grades WHERE id > 500", database: "Grading")
            try await Task.sleep(for: .seconds(4))  // the receiver confirms its position every second
            #expect(await archive.stop(agent) == 0)
            let base = try #require(StoredBaseBackup.all(in: archive.layout).last)
            let tars = try FileManager.default.contentsOfDirectory(atPath: base.path).filter { $0.first?.isNumber == true }
            #expect(tars.count == 1, "the tablespace's own tar in \(base.path): \(tars)")

            _ = try await cluster.query("CHECKPOINT")
            let before = Self.files(under: space)
            #expect(!before.isEmpty)
            let result = try await archive.run(["restore", "--db", "Grading", "--at", noted, "--as", "Grading 1434"])
            #expect(result.status == 0, "\(result.stderr)")
            let after = Self.files(under: space)
            #expect(after == before, "the Resolve server's tablespace folder changed: \(Set(after.keys).symmetricDifference(before.keys).sorted()) \(after.filter { before[$0.key] != $0.value }.keys.sorted())")
            let restored = try await cluster.query("SELECT count(*) FROM grades", database: "Grading 1434").scalar
            #expect(restored == "1500")
            let live = try await cluster.query("SELECT count(*) FROM grades", database: "Grading").scalar
            #expect(live == "500")
            #expect(archive.scratchLeftovers.isEmpty, "\(archive.scratchLeftovers)")
        }
    }
}
