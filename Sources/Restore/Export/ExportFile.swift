import Backups
import Foundation
import LaterbaseCore

/// Where `export` writes: `--out` an existing folder (the file named like Resolve's own,
/// `<library>_<YYYYMMDD_HHMMSS>.backup`, UTC) or a path ending in `.backup` in an existing folder;
/// never over an existing file. Written under `.<name>.partial`, renamed once complete and read
/// back, with `<name>.sha256` (sha256sum's format) beside it. Pure path arithmetic here.
public struct ExportFile: Sendable, Equatable {
    public let path: String
    public var checksumPath: String { path + ".sha256" }
    public var temporaryPath: String { ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("." + name + ".partial") }
    public var name: String { (path as NSString).lastPathComponent }

    /// - Throws: ``RestoreError`` (one line) for an `--out` that is neither, or a file that exists.
    public init(out: String, library: String, time: Date) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let standardized = (out as NSString).standardizingPath
        if manager.fileExists(atPath: standardized, isDirectory: &isDirectory), isDirectory.boolValue {
            path = standardized + "/" + Self.fileName(library: library, time: time)
        } else if standardized.hasSuffix(".backup") {
            let folder = (standardized as NSString).deletingLastPathComponent
            guard manager.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw RestoreError(.exportPath, "--out \(out): the folder \(folder) does not exist; make it or name an existing folder")
            }
            path = standardized
        } else {
            throw RestoreError(.exportPath, "--out \(out) is neither an existing folder nor a path ending in .backup; name a folder (the file is then \(Self.fileName(library: library, time: time))) or a .backup file")
        }
        if manager.fileExists(atPath: path) {
            throw RestoreError(.exportPath, "\(path) exists; export never overwrites a file: move it away or choose another --out")
        }
    }

    /// `Resolve Main_20261124_143459.backup`: the library's name (a `/` made `_`) and the moment its data is from.
    public static func fileName(library: String, time: Date) -> String {
        library.replacingOccurrences(of: "/", with: "_") + "_" + BackupLayout.timestamp(time) + ".backup"
    }
}
