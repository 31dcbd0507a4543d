import Backups

/// `POST /verify`: a backup decoded end to end and its SHA-256 compared with its manifest.
struct VerifyPage: ConsoleView {
    static let template = "verify"

    struct Passed: Sendable {
        let file: String
        let sqlBytes: String
        /// "matches its manifest", or why nothing was compared.
        let manifest: String
    }

    let passed: Passed?
    let failure: String?
    let database: String
    let databaseQuery: String

    /// - Parameter outcome: the bytes of SQL the backup decodes to, or why it failed.
    init(_ backup: StoredBackup, outcome: Result<Int64, ConsoleProblem>) {
        switch outcome {
        case .success(let rawBytes):
            passed = Passed(file: backup.relativePath, sqlBytes: PageFormat.bytes(rawBytes),
                            manifest: backup.manifest == nil ? "(no manifest to compare with)" : "matches its manifest")
            failure = nil
        case .failure(let problem):
            passed = nil
            failure = problem.description
        }
        database = backup.database
        databaseQuery = PageFormat.query(backup.database)
    }
}
