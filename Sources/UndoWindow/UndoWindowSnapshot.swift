import Foundation
import LaterbaseCore

/// The undo window as found on disk right now: base backups, WAL files, the receiver's status.
/// Read by `healthcheck`, `list` and `restore --at`.
public struct UndoWindowSnapshot: Sendable {
    public let bases: [StoredBaseBackup]
    public let wal: [WalFile]
    public let receiver: ReceiverStatus?
    public let window: UndoWindow

    public init(layout: ArchiveLayout, now: Date = Date()) {
        bases = StoredBaseBackup.all(in: layout)
        wal = WalFile.scan(layout, segmentSize: bases.last?.manifest.walSegmentSize ?? 16 * 1024 * 1024)
        receiver = ReceiverStatus.load(layout)
        window = UndoWindow(bases: bases, wal: wal, streamedUntil: receiver?.streamedUntil)
    }

    /// Whether the folder holds an archive at all.
    public static func exists(_ layout: ArchiveLayout) -> Bool {
        FileManager.default.fileExists(atPath: layout.baseDirectory) || FileManager.default.fileExists(atPath: layout.walDirectory)
    }

    /// The WAL slot as the primary reports it (for a receiver that is down); never throws.
    public static func slotReport(primary: PrimarySettings, slot: String) async -> ArchiveHealth.SlotReport {
        do {
            let row = try await PostgresConnection.withConnection(primary.connection(timeoutSeconds: 5)) { connection in
                try connection.query("SELECT wal_status, safe_wal_size::text FROM pg_replication_slots WHERE slot_name = $1", [slot]).rows.first
            }
            return .from(slot: slot, row: row)
        } catch {
            return ArchiveHealth.SlotReport(text: "slot \(slot): the primary cannot be asked (\(error))")
        }
    }
}
