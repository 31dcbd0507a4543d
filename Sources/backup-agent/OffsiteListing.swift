import Agent
import Backups
import Foundation
import LaterbaseCore
import Restore
import UndoWindow

/// `backup-agent list --offsite [--json]`: what the remote holds, read from it alone.
enum OffsiteListing {
    static func print(json: Bool) async throws {
        try await CommandErrors.reporting {
            let agent = try AgentContext.load(logging: false)
            let (dumps, index, remote) = try await agent.offsiteListing()
            if json {
                Swift.print(try Self.json(dumps, index: index, remote: remote))
                return
            }
            if dumps.isEmpty {
                Swift.print("no backups on \(remote)")
            } else {
                Swift.print("Backups on \(remote):")
                for dump in dumps {
                    Swift.print(TerminalText.escaped("  \(UndoWindow.text(dump.time))  \(ByteCountFormatter.string(fromByteCount: dump.size, countStyle: .decimal))  \(dump.relativePath)"))
                }
            }
            Swift.print("\n" + (index.map { OffsiteArchiveHealth.listing(index: $0, remote: remote) } ?? "Offsite undo window (\(remote)): none"))
        }
    }

    static func json(_ dumps: [OffsiteFetch.RemoteDump], index: OffsiteArchiveIndex?, remote: String) throws -> String {
        let formatter = ISO8601DateFormatter()
        var object: [String: Any] = [
            "remote": remote,
            "backups": dumps.map { ["path": $0.relativePath, "bytes": $0.size, "time": formatter.string(from: $0.time)] as [String: Any] },
        ]
        if let index {
            let window = index.window
            var undo: [String: Any] = ["summary": window.summary, "baseBackups": index.bases.keys.sorted(), "walFiles": index.wal.count]
            if let oldest = window.oldest { undo["oldest"] = formatter.string(from: oldest) }
            if let newest = window.newest { undo["newest"] = formatter.string(from: newest) }
            object["undoWindow"] = undo
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
