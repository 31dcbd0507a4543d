import Foundation

/// The processes of this machine as `/proc` shows them, for tests that check what a killed
/// program left running. A zombie (killed, not yet reaped by its new parent — some inits reap
/// late) does not run.
public enum ProcessTable {
    /// One process: its state letter (`R`, `S`, `Z`, …), parent and command line.
    public struct Entry: Sendable {
        public let pid: pid_t
        public let state: Character
        public let parent: pid_t
        /// The arguments joined by spaces.
        public let commandLine: String
        /// Exists and is not a zombie (or dead).
        public var isRunning: Bool { state != "Z" && state != "X" }
    }

    /// The process `pid`, nil when there is none.
    public static func entry(_ pid: pid_t) -> Entry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        let commandLine = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        return Entry(pid: pid, state: state, parent: parent, commandLine: commandLine)
    }

    /// Whether `pid` exists and is not a zombie.
    public static func isRunning(_ pid: pid_t) -> Bool { entry(pid)?.isRunning ?? false }

    /// Every running process whose command line contains all of `parts`.
    public static func running(containing parts: [String]) -> [Entry] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.compactMap(entry).filter { entry in
            entry.isRunning && parts.allSatisfy { entry.commandLine.contains($0) }
        }
    }
}
