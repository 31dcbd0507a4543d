import Foundation
import Testing
@testable import UndoWindow

/// `tablespace_map` as the server reads it: `OID PATH` per entry, a backslash makes the next
/// character part of PATH (a line break too). Only the OIDs matter to ``ScratchCluster``.
@Suite("restore --at: the tablespace_map of a base backup")
struct TablespaceMapTests {
    @Test("OIDs of plain, spaced, escaped and CRLF entries; an empty map has none; a bad entry is one line naming it")
    func oids() throws {
        #expect(try ScratchCluster.tablespaceOIDs(inMap: "", base: "b").isEmpty)
        #expect(try ScratchCluster.tablespaceOIDs(inMap: "16384 /srv/fast disk/pg\n", base: "b") == [16384])
        #expect(try ScratchCluster.tablespaceOIDs(inMap: "16384 /srv/odd\\\npath\n16390 /srv/b\\\\x\n", base: "b") == [16384, 16390])
        #expect(try ScratchCluster.tablespaceOIDs(inMap: "16384 /a\r\n16385 /b", base: "b") == [16384, 16385])
        let error = #expect(throws: ArchiveError.self) { try ScratchCluster.tablespaceOIDs(inMap: "x /a\n", base: "/backups/.base/B") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("unreadable tablespace_map entry: x /a"))
    }
}
