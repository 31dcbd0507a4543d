import Backups
import Foundation
import LaterbaseCore

/// Unpacking a base backup into the scratch server's folder (all of it, or one library with the
/// others zero-filled: ``SelectiveUnpack``), its tablespaces under the scratch folder.
extension ScratchCluster {
    /// Unpacks `base.tar.*` and `pg_wal.tar.*` of `base` (zstd, gzip or plain tar, see
    /// ``BaseBackupCompression``) and gives the files to the server's account. With `selective`,
    /// the other libraries' relation files are left out of the unpack and made as sparse files of
    /// their size instead (``SelectiveUnpack``), from `files`: the base backup's `backup_manifest`.
    public func unpack(_ base: StoredBaseBackup, selective: SelectiveUnpack? = nil, files: [(path: String, size: Int64)] = [],
                       tools: PostgresTools = PostgresTools()) async throws {
        let zeroFilled = selective.map { selective in files.filter { selective.isZeroed($0.path) } } ?? []
        guard try await Self.extract(base.path, "base", into: dataDirectory, excluding: selective?.tarExclusions ?? [], tools: tools) else {
            throw ArchiveError(.badBaseBackup, "the base backup \(base.path) holds no base.tar, base.tar.gz or base.tar.zst")
        }
        for file in zeroFilled { try makeZeroFilled(file.path, size: file.size) }
        try await unpackTablespaces(base, tools: tools)
        let pgWal = dataDirectory + "/pg_wal"
        try FileManager.default.createDirectory(atPath: pgWal, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = try await Self.extract(base.path, "pg_wal", into: pgWal, tools: tools)
        if let account { try account.own(recursively: dataDirectory) }
        chmod(dataDirectory, 0o700)
    }

    /// Unpacks the base backup's tablespaces (`tablespace_map`, from base.tar: one `OID PATH` line
    /// each, PATH a folder on the Resolve server) from their own tars (`OID.tar[.zst|.gz]`) into
    /// ``tablespaceDirectory``, and rewrites the map to point there. The server makes
    /// `pg_tblspc/OID` from the map when it starts: left as it was, the link would lead to the
    /// Resolve server's own folder, and where that path exists on this host replay would write
    /// into the live server's files. A link already in `pg_tblspc` is refused for the same reason.
    func unpackTablespaces(_ base: StoredBaseBackup, tools: PostgresTools) async throws {
        let manager = FileManager.default
        let links = dataDirectory + "/pg_tblspc"
        // pg_basebackup -Ft sends the map and leaves the links out; a link here came from elsewhere.
        for name in (try? manager.contentsOfDirectory(atPath: links)) ?? [] where (try? manager.destinationOfSymbolicLink(atPath: links + "/" + name)) != nil {
            throw ArchiveError(.badBaseBackup, "the base backup \(base.path) holds a link pg_tblspc/\(name); restore --at makes tablespace links only from tablespace_map, into the scratch folder")
        }
        guard let map = manager.contents(atPath: dataDirectory + "/tablespace_map") else { return }
        let oids = try Self.tablespaceOIDs(inMap: String(decoding: map, as: UTF8.self), base: base.path)
        // pg_basebackup writes an empty map when the server has no tablespace.
        guard !oids.isEmpty else { return }
        // The server reads a backslash as an escape and a newline as the end of an entry.
        guard !tablespaceDirectory.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\r" }) else {
            throw ArchiveError(.scratch, "the scratch folder \(root) has a backslash or a line break in its path, which tablespace_map cannot carry; choose a BACKUP_DIR without one")
        }
        var lines = ""
        for oid in oids {
            let directory = tablespaceDirectory + "/\(oid)"
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard try await Self.extract(base.path, "\(oid)", into: directory, tools: tools) else {
                throw ArchiveError(.badBaseBackup, "the base backup \(base.path) has the tablespace \(oid) in its tablespace_map but no \(oid).tar; choose a time that a later base backup covers")
            }
            lines += "\(oid) \(directory)\n"
        }
        try write(lines, to: "tablespace_map")
        if let account { try account.own(recursively: tablespaceDirectory) }
    }

    /// The OIDs of a `tablespace_map` (`OID PATH` per entry, where a backslash makes the next
    /// character part of PATH, a line break included, as the server reads it). Pure.
    static func tablespaceOIDs(inMap text: String, base: String) throws -> [UInt32] {
        var entries: [String] = []
        var entry = ""
        var escaped = false
        for character in text {
            if escaped {
                entry.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\n" || character == "\r" || character == "\r\n" {
                if !entry.isEmpty { entries.append(entry) }
                entry = ""
            } else {
                entry.append(character)
            }
        }
        if !entry.isEmpty { entries.append(entry) }
        return try entries.map { entry in
            guard let oid = entry.split(separator: " ", maxSplits: 1).first.flatMap({ UInt32($0) }) else {
                throw ArchiveError(.badBaseBackup, "the base backup \(base) has an unreadable tablespace_map entry: \(entry)")
            }
            return oid
        }
    }

    /// A sparse file of `size` bytes, all zeros, at `path` in the data directory (its folder was unpacked).
    private func makeZeroFilled(_ path: String, size: Int64) throws {
        let target = dataDirectory + "/" + path
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ArchiveError(.scratch, "cannot make \(target): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw ArchiveError(.scratch, "cannot size \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// `tar -xf folder/name.tar[.zst|.gz] -C directory`; false when there is no such file.
    static func extract(_ folder: String, _ name: String, into directory: String, excluding exclusions: [String] = [], tools: PostgresTools) async throws -> Bool {
        guard let compression = BaseBackupCompression.allCases.first(where: { FileManager.default.fileExists(atPath: folder + "/" + name + $0.suffix) }) else {
            return false
        }
        let file = folder + "/" + name + compression.suffix
        var arguments = exclusions + ["-xf", file, "-C", directory]
        if compression == .zstd {
            guard let zstd = tools.find("zstd") else {
                throw ArchiveError(.badBaseBackup, "\(file) is zstd-compressed, but no zstd program was found on PATH; install zstd (the agent's image has it)")
            }
            arguments = ["-I", zstd] + arguments
        } else if compression == .gzip {
            arguments = ["-z"] + arguments
        }
        _ = try await ChildProcess("/bin/tar", arguments).output()
        return true
    }
}
