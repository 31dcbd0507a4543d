import Foundation
import Logging

/// What follows each pass, under the `BACKUP_DIR` lock: retention — only when the pass succeeded
/// for every database, so a broken server never costs old backups — then offsite copies of what
/// is left (also after a failed pass: what succeeded should leave the building).
public struct AfterPass: Sendable {
    public let settings: BackupSettings
    public let zone: TimeZone
    public let logger: Logger

    public init(settings: BackupSettings, zone: TimeZone, logger: Logger) {
        self.settings = settings
        self.zone = zone
        self.logger = logger
    }

    public func run(_ pass: AgentState.Pass) async {
        let layout = BackupLayout(root: settings.backupDirectory)
        let remote = RcloneRemote(settings: settings)
        let lock: DirectoryLock
        do {
            lock = try await DirectoryLock.acquire(layout.lockFile, folder: layout.root, timeout: .seconds(600))
        } catch {
            logger.error("retention and offsite copies did not run", metadata: [LogKey.error: "\(error)"])
            return
        }
        defer { lock.release() }
        if pass.failed.isEmpty {
            await Pruner(layout: layout, policy: RetentionPolicy(settings: settings), zone: zone, remote: remote, logger: logger).apply()
        } else {
            logger.notice("retention skipped because the pass failed; no backup is removed")
        }
        if let remote {
            let outcome = await OffsiteSync(remote: remote, layout: layout, logger: logger).run()
            if !outcome.failed.isEmpty {
                logger.error("offsite copies are behind; local backups go on", metadata: [
                    "pending": "\(outcome.failed.count + outcome.notAttempted)", LogKey.error: "\(outcome.failed.values.first ?? "")",
                ])
            }
        }
    }
}
