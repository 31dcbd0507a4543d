import Foundation
import LaterbaseCore

/// Where backups live on disk (DESIGN.md, fixed):
/// `BACKUP_DIR/<db>/<db>_backup_<YYYYMMDD_HHMMSS>.sql.gz` (UTC) with a `.json` manifest beside
/// it, and agent state in `BACKUP_DIR/.laterbase/`. Pure path arithmetic.
public struct BackupLayout: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public static let fileSuffix = ".sql.gz"
    public static let manifestSuffix = ".json"
    /// Suffix of files being written: never mistaken for a backup, removed by the next pass.
    public static let partialSuffix = ".partial"
    /// Laterbase's marker on its own unfinished files in a library folder: hidden, and named so no
    /// other program's file is taken for one (`.laterbase-<name>.partial`).
    public static let temporaryPrefix = ".laterbase-"

    /// Where the file that will become `path` is written: `<folder>/.laterbase-<name>.partial`.
    public static func temporaryPath(for path: String) -> String {
        let name = (path as NSString).lastPathComponent
        return (path as NSString).deletingLastPathComponent + "/" + temporaryPrefix + name + partialSuffix
    }

    /// The library folders under `BACKUP_DIR`: every folder whose name does not start with `.`
    /// (`.laterbase`, `.wal`, `.base` and `.scratch` are the agent's own).
    public static func libraryFolders(in layout: BackupLayout) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: layout.root)) ?? []).sorted().filter { folder in
            var info = stat()
            return !folder.hasPrefix(".") && stat(layout.root + "/" + folder, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        }
    }

    /// The agent's own folder: state, lock, roles.
    public var stateDirectory: String { root + "/.laterbase" }
    public var stateFile: String { stateDirectory + "/state.json" }
    public var lockFile: String { stateDirectory + "/lock" }
    /// The latest `pg_dumpall --globals-only` (mode 0600: it holds password hashes).
    public var globalsFile: String { stateDirectory + "/globals.sql" }
    /// What was verified of which file (``VerificationCache``).
    public var verificationFile: String { stateDirectory + "/verified.json" }

    /// The folder of one database. Characters a path cannot hold (`/`, a leading `.`) are
    /// percent-encoded so every database gets its own folder.
    public func directory(for database: String) -> String {
        root + "/" + Self.folderName(for: database)
    }

    public static func folderName(for database: String) -> String {
        var name = database.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
        if name.hasPrefix(".") { name = "%2E" + name.dropFirst() }
        return name
    }

    /// `Resolve_backup_20261124_150000.sql.gz`
    public static func fileName(database: String, at time: Date) -> String {
        "\(folderName(for: database))_backup_\(timestamp(time))\(fileSuffix)"
    }

    /// The manifest beside a backup file: `….sql.gz` → `….json`.
    public static func manifestPath(forBackup path: String) -> String {
        String(path.dropLast(fileSuffix.count)) + manifestSuffix
    }

    /// The moment encoded in a backup file name, or nil when the name is not one of ours.
    public static func time(ofFileName name: String) -> Date? {
        guard name.hasSuffix(fileSuffix), let marker = name.range(of: "_backup_", options: .backwards) else { return nil }
        let stamp = name[marker.upperBound...].dropLast(fileSuffix.count)
        return stampFormatter.date(from: String(stamp))
    }

    public static func timestamp(_ time: Date) -> String { stampFormatter.string(from: time) }

    private static let stampFormatter = UTCFormat.formatter("yyyyMMdd_HHmmss")
}
