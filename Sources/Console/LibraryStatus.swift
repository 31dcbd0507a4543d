import Agent
import Backups
import Foundation

/// One library as the overview shows it: its newest backup and the last pass's word on it.
struct LibraryStatus: Sendable {
    let database: String
    let newest: StoredBackup?
    let backupCount: Int
    /// Nil when offsite copies are off.
    let newestUploaded: Bool?
    let lastSuccess: Date?
    let lastError: String?

    /// Every library with a backup or a recorded attempt, by name.
    /// - Parameters:
    ///   - backups: ``StoredBackup/all(in:)`` (read once by the caller, which may need it too).
    ///   - ledger: the upload ledger; nil when offsite copies are off.
    static func all(runtime: AgentRuntime, backups: [StoredBackup], ledger: UploadLedger?) -> [LibraryStatus] {
        let state = (try? AgentState.load(from: runtime.layout.stateFile)) ?? AgentState()
        let byDatabase = Dictionary(grouping: backups, by: \.database)
        let names = Set(byDatabase.keys).union(state.databases.keys).sorted()
        return names.map { name in
            let stored = byDatabase[name] ?? []
            let newest = stored.max { $0.time < $1.time }
            return LibraryStatus(database: name, newest: newest, backupCount: stored.count,
                                 newestUploaded: ledger.map { ledger in newest.map(ledger.isUploaded) ?? false },
                                 lastSuccess: state.databases[name]?.lastSuccess, lastError: state.databases[name]?.lastError)
        }
    }
}
