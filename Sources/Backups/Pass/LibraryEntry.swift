import Foundation

/// What a name inside a library's folder is to Laterbase. Only what Laterbase made is ever
/// deleted: its backups and manifests (by retention) and its own unfinished files (by the next
/// pass); anything else — a file someone put there, a folder named like a backup — is foreign,
/// left alone, and named in one warning.
public enum LibraryEntry: Sendable, Equatable {
    /// A regular file named `<db>_backup_<stamp>.sql.gz`.
    case backup
    /// A regular file named `<db>_backup_<stamp>.json`.
    case manifest
    /// An unfinished file of Laterbase's: `.laterbase-…` (since issue 29), or the names earlier
    /// versions used, `.<backup>.partial` and `<manifest>.tmp-<pid>`.
    case temporary
    case foreign

    public static func classify(_ name: String, in directory: String) -> LibraryEntry {
        let path = directory + "/" + name
        let regular = FileIdentity.of(path) != nil
        guard regular else { return .foreign }
        if name.hasPrefix(BackupLayout.temporaryPrefix) { return .temporary }
        if name.hasPrefix(".") {
            let inner = String(name.dropFirst())
            let old = inner.hasSuffix(BackupLayout.partialSuffix)
                && BackupLayout.time(ofFileName: String(inner.dropLast(BackupLayout.partialSuffix.count))) != nil
            return old ? .temporary : .foreign
        }
        if BackupLayout.time(ofFileName: name) != nil { return .backup }
        if isManifestName(name) { return .manifest }
        if let marker = name.range(of: BackupLayout.manifestSuffix + ".tmp-", options: .backwards),
           !name[marker.upperBound...].isEmpty, name[marker.upperBound...].allSatisfy(\.isNumber),
           isManifestName(String(name[..<marker.upperBound].dropLast(".tmp-".count))) {
            return .temporary
        }
        return .foreign
    }

    /// `<db>_backup_<stamp>.json`: the manifest name of a backup name.
    static func isManifestName(_ name: String) -> Bool {
        name.hasSuffix(BackupLayout.manifestSuffix)
            && BackupLayout.time(ofFileName: String(name.dropLast(BackupLayout.manifestSuffix.count)) + BackupLayout.fileSuffix) != nil
    }

    /// Every library folder's names that are not Laterbase's, as `folder/name`, sorted.
    public static func foreign(in layout: BackupLayout) -> [String] {
        var found: [String] = []
        for folder in BackupLayout.libraryFolders(in: layout) {
            let directory = layout.root + "/" + folder
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            where classify(name, in: directory) == .foreign {
                found.append(folder + "/" + name)
            }
        }
        return found
    }
}
