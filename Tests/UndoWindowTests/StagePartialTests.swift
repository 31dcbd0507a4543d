import Foundation
import Testing
@testable import UndoWindow

@Suite("restore --at: staging a .partial segment the receiver finished meanwhile")
struct StagePartialTests {
    @Test("a .partial renamed to its final name between the archive scan and the copy is staged from the complete file; one gone altogether fails")
    func finishedMeanwhile() async throws {
        let root = NSTemporaryDirectory() + "laterbase-stage-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/archive", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/scratch/wal", withIntermediateDirectories: true)
        let segment = WalSegment(timeline: 1, number: 4, segmentSize: 16 << 20)
        // The scan saw the .partial; the receiver then completed and renamed it.
        let complete = root + "/archive/" + segment.name
        try Data("the whole segment".utf8).write(to: URL(fileURLWithPath: complete))
        let seen = WalFile(fileName: segment.name + ".partial", path: complete + ".partial", segment: segment, isPartial: true, modified: Date(), bytes: 17)
        let scratch = ScratchCluster(root: root + "/scratch", binaries: "", account: nil, port: 0)
        try await scratch.stage([seen])
        #expect(try String(contentsOfFile: scratch.walDirectory + "/" + segment.name, encoding: .utf8) == "the whole segment")

        try FileManager.default.removeItem(atPath: scratch.walDirectory + "/" + segment.name)
        try FileManager.default.removeItem(atPath: complete)
        await #expect(throws: (any Error).self) { try await scratch.stage([seen]) }
        #expect(!FileManager.default.fileExists(atPath: scratch.walDirectory + "/" + segment.name))
    }
}
