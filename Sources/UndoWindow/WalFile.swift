import Foundation

/// One file of the WAL archive as found on disk: a segment (complete or `.partial`) with its
/// modification time, the moment pg_receivewal last wrote to it.
public struct WalFile: Sendable, Equatable {
    public let fileName: String
    public let path: String
    public let segment: WalSegment
    public let isPartial: Bool
    public let modified: Date
    public let bytes: Int64

    public init(fileName: String, path: String, segment: WalSegment, isPartial: Bool, modified: Date, bytes: Int64) {
        self.fileName = fileName
        self.path = path
        self.segment = segment
        self.isPartial = isPartial
        self.modified = modified
        self.bytes = bytes
    }

    /// Every segment in `.wal/` and in the folders set aside below it, ordered by segment; a
    /// complete file wins over a `.partial` of the same segment.
    public static func scan(_ layout: ArchiveLayout, segmentSize: UInt64) -> [WalFile] {
        let manager = FileManager.default
        var directories = [layout.walDirectory]
        for entry in (try? manager.contentsOfDirectory(atPath: layout.walDirectory)) ?? [] where !entry.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: layout.walDirectory + "/" + entry, isDirectory: &isDirectory), isDirectory.boolValue {
                directories.append(layout.walDirectory + "/" + entry)
            }
        }
        var found: [WalFile] = []
        for directory in directories {
            for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
                guard let segment = WalSegment(fileName: name, segmentSize: segmentSize) else { continue }
                let path = directory + "/" + name
                guard let attributes = try? manager.attributesOfItem(atPath: path),
                      (attributes[.type] as? FileAttributeType) == .typeRegular else { continue }
                let file = WalFile(fileName: name, path: path, segment: segment, isPartial: WalSegment.isPartial(name),
                                   modified: attributes[.modificationDate] as? Date ?? .distantPast,
                                   bytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0)
                found.append(file)
            }
        }
        return bestPerSegment(found)
    }

    /// One file per segment, ordered by segment: a complete file wins over a `.partial` of the
    /// same segment (for the archive on disk and for the one offsite alike). Pure.
    public static func bestPerSegment(_ files: [WalFile]) -> [WalFile] {
        var best: [WalSegment: WalFile] = [:]
        for file in files {
            if let known = best[file.segment], !known.isPartial || file.isPartial { continue }
            best[file.segment] = file
        }
        return best.values.sorted { $0.segment < $1.segment }
    }
}
