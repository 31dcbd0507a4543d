import Foundation
import LaterbaseCore

/// What `standby-entrypoint status` prints, as text or JSON. Built from the local server's
/// ``ReplicationState`` and, when the primary answers, its view of the slot.
public struct StandbyStatusReport: Codable, Sendable, Equatable {
    /// The primary's slot as the primary sees it.
    public struct PrimarySlot: Codable, Sendable, Equatable {
        public var exists: Bool
        public var active: Bool?
        /// WAL the primary keeps for this standby.
        public var retainedBytes: Int64?
        public var walStatus: String?
    }

    /// `standby`, `primary` (promoted) or `down` (the local server does not answer).
    public var role: String
    public var healthy: Bool
    public var health: String
    /// The configured primary, `host:port`.
    public var primary: String
    public var primaryReachable: Bool
    public var receiverStatus: String?
    /// Where the WAL receiver is connected, `host:port`.
    public var sender: String?
    public var receivedLSN: String?
    public var replayedLSN: String?
    public var lagBytes: Int64?
    public var lagSeconds: Double?
    public var slot: String
    public var lastContact: String?
    public var timeline: Int?
    public var primarySlot: PrimarySlot?
    public var warnings: [String]

    /// Assembles the report. Pure: `state` nil with `localError` (the whole health line) when the
    /// local server's state could not be read; `slotFacts` only meaningful when `primaryReachable`.
    public static func build(settings: StandbySettings, state: ReplicationState?, localError: String?,
                             primaryReachable: Bool, slotLooked: Bool, slotFacts: SlotFacts?) -> StandbyStatusReport {
        let primary = "\(settings.primary.host):\(settings.primary.port)"
        let verdict = state.map { HealthVerdict.judge($0, maxLagSeconds: settings.healthMaxLagSeconds, primary: primary) }
            ?? HealthVerdict(healthy: false, line: localError ?? "unhealthy: the standby's server does not answer on 127.0.0.1:\(settings.localPort)")
        var report = StandbyStatusReport(
            role: state.map { $0.inRecovery ? "standby" : "primary" } ?? "down",
            healthy: verdict.healthy, health: verdict.line, primary: primary, primaryReachable: primaryReachable,
            receiverStatus: state?.receiverStatus,
            sender: state?.senderHost.map { host in state?.senderPort.map { "\(host):\($0)" } ?? host },
            receivedLSN: state?.receivedLSN, replayedLSN: state?.replayedLSN, lagBytes: state?.lagBytes,
            lagSeconds: state.map { ($0.lagSeconds * 10).rounded() / 10 }, slot: settings.slotName,
            lastContact: state?.lastContact, timeline: state?.timeline, primarySlot: nil, warnings: [])
        if primaryReachable && slotLooked {
            report.primarySlot = PrimarySlot(exists: slotFacts != nil, active: slotFacts?.active,
                                             retainedBytes: slotFacts?.retainedBytes, walStatus: slotFacts?.walStatus)
        }
        report.warnings = warnings(slot: settings.slotName, role: report.role, primaryReachable: primaryReachable,
                                   slotLooked: slotLooked, slotFacts: slotFacts)
        return report
    }

    /// Warnings about the slot on the primary: a slot nobody uses keeps WAL until the Resolve
    /// server's disk is full. Pure.
    public static func warnings(slot: String, role: String, primaryReachable: Bool, slotLooked: Bool, slotFacts: SlotFacts?) -> [String] {
        guard primaryReachable else {
            return role == "primary" ? [] : ["the primary does not answer: this standby receives nothing new; promote it if the Resolve server is gone (standby-entrypoint promote)"]
        }
        guard slotLooked else { return [] }
        guard let facts = slotFacts else {
            return role == "standby" ? ["slot \(slot) does not exist on the primary: it may remove WAL this standby still needs; a restart with CREATE_SLOT=true creates it again"] : []
        }
        var result: [String] = []
        let held = facts.retainedBytes.map(formatBytes) ?? "an unknown amount"
        if facts.walStatus == "lost" {
            result.append("slot \(slot) has lost WAL this standby needed: it cannot catch up; restart it with STANDBY_RECLONE=auto after dropping the slot (\(ResolveServerHints.dropSlotSQL(slot)))")
        }
        if role == "primary" {
            result.append("this server was promoted, but the old primary still keeps slot \(slot) and \(held) of WAL for it; drop it there: \(ResolveServerHints.dropSlotSQL(slot))")
        } else if !facts.active {
            result.append("slot \(slot) is not in use, yet the Resolve server keeps \(held) of WAL for it and more with every change; its disk fills up while this standby is down. "
                + "If this standby is gone for good, drop the slot on the Resolve server: \(ResolveServerHints.dropSlotSQL(slot))")
        } else if let bytes = facts.retainedBytes, bytes > 1 << 30 {
            result.append("the Resolve server keeps \(held) of WAL for this standby, which is far behind; watch the Resolve server's free disk space")
        }
        return result
    }

    /// `0 bytes`, `16.0 MB`, `2.3 GB`.
    public static func formatBytes(_ bytes: Int64) -> String { ByteText.text(bytes) }

    /// Human-readable lines, one fact per line.
    public var text: String {
        var lines = [
            "role:          \(role)",
            "health:        \(health)",
            "primary:       \(primary) (\(primaryReachable ? "answers" : "does not answer"))",
            "receiver:      \(receiverStatus ?? "not running")\(sender.map { " from \($0)" } ?? "")",
            "received LSN:  \(receivedLSN ?? "-")",
            "replayed LSN:  \(replayedLSN ?? "-")",
            "lag:           \(lagBytes.map { Self.formatBytes($0) } ?? "-"), \(lagSeconds.map { "\($0) s" } ?? "-")",
            "slot:          \(slot)",
            "last contact:  \(lastContact ?? "-")",
        ]
        if let slot = primarySlot {
            let description = slot.exists
                ? "\(slot.active == true ? "active" : "NOT active"), keeps \(slot.retainedBytes.map(Self.formatBytes) ?? "?") of WAL\(slot.walStatus.map { " (wal_status \($0))" } ?? "")"
                : "does not exist"
            lines.append("primary slot:  \(description)")
        }
        lines += warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// One JSON object with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
