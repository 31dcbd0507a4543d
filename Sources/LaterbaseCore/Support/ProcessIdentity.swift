import Foundation

/// A running process as another process can recognise it later: the host, the kernel's boot, the
/// PID and the PID's start time. A PID alone is not enough: in a restarted container the new
/// agent is PID 1 again, and after a reboot any PID may be taken.
public struct ProcessIdentity: Equatable, Sendable {
    public let host: String
    /// `/proc/sys/kernel/random/boot_id`; empty where there is none.
    public let boot: String
    public let pid: Int32
    /// Clock ticks after boot when the process started (`/proc/PID/stat`, field 22); 0 where unknown.
    public let started: UInt64

    public init(host: String, boot: String, pid: Int32, started: UInt64) {
        self.host = host
        self.boot = boot
        self.pid = pid
        self.started = started
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(host: ProcessInfo.processInfo.hostName, boot: bootID, pid: pid, started: startTime(of: pid) ?? 0)
    }

    /// `host boot pid started`, as ``init?(text:)`` reads it back.
    public var text: String { "\(host) \(boot.isEmpty ? "-" : boot) \(pid) \(started)" }

    public init?(text: String) {
        let parts = text.split(separator: " ").map(String.init)
        guard parts.count == 4, let pid = Int32(parts[2]), let started = UInt64(parts[3]) else { return nil }
        self.init(host: parts[0], boot: parts[1] == "-" ? "" : parts[1], pid: pid, started: started)
    }

    /// Whether the process has ended: on this host, another boot, no such PID, or a PID that
    /// started at another time. Nil when it ran on another host (nothing here can tell).
    public func hasEnded() -> Bool? {
        let here = Self.current
        guard host == here.host else { return nil }
        if !boot.isEmpty && !here.boot.isEmpty && boot != here.boot { return true }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        if started != 0, let now = Self.startTime(of: pid), now != started { return true }
        return false
    }

    static var bootID: String {
        ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Field 22 of `/proc/PID/stat` (the fields after the command, which may hold spaces and parentheses).
    static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
