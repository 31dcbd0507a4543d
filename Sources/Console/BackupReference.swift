import Backups
import Foundation

/// A backup as the console's forms name it (`file` of `/restore` and `/verify`): exactly the
/// relative name the console lists, `<library folder>/<file>` (``StoredBackup/relativePath``),
/// and nothing that resolves outside `BACKUP_DIR/<library folder>/`. No absolute path, no `.` or
/// `..`, no bare file name, no file the listing does not hold.
enum BackupReference {
    enum Refusal: Error, Sendable, CustomStringConvertible {
        /// Not a relative name at all (absolute, `..`, empty parts, control characters).
        case malformed(String)
        /// Well formed, but the listing holds no such backup.
        case notListed(String)

        var description: String {
            switch self {
            case .malformed(let reason), .notListed(let reason): reason
            }
        }
    }

    /// The listed backup `reference` names.
    static func resolve(_ reference: String?, in layout: BackupLayout) -> Result<StoredBackup, Refusal> {
        guard let reference, !reference.isEmpty else { return .failure(.malformed("no backup named; pick one from a library's backups")) }
        if let problem = problem(reference) { return .failure(.malformed(problem)) }
        guard let backup = StoredBackup.all(in: layout).first(where: { $0.relativePath == reference }) else {
            return .failure(.notListed("no such backup in the list; name one as a library's backups page lists it (library folder/file)"))
        }
        // A link in a library's folder must not lead elsewhere (another library, outside BACKUP_DIR).
        let folder = resolved(layout.root + "/" + backup.folder) + "/"
        guard resolved(backup.path).hasPrefix(folder) else {
            return .failure(.notListed("that backup's file lies outside its library's folder; it is not restored or verified from the console"))
        }
        return .success(backup)
    }

    /// Why `reference` cannot be a relative name in the listing; nil when it could be.
    static func problem(_ reference: String) -> String? {
        if reference.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) || reference.contains("\\") {
            return "a backup's name holds no control characters or backslashes; pick one from a library's backups"
        }
        if reference.hasPrefix("/") || reference.hasPrefix("~") {
            return "absolute paths are not accepted; name a backup as a library's backups page lists it (library folder/file)"
        }
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "paths with '..', '.' or empty parts are not accepted; name a backup as a library's backups page lists it (library folder/file)"
        }
        return nil
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
