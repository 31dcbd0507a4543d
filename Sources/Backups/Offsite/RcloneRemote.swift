import Crypto
import Foundation
import LaterbaseCore

/// The offsite copy target `RCLONE_REMOTE_NAME:RCLONE_REMOTE_PATH`, driven through the rclone
/// command (its own config file holds any credentials; nothing secret is in our arguments).
public struct RcloneRemote: Sendable {
    public let name: String
    public let path: String
    public let config: String?
    public let rclone: String
    /// `OFFSITE_REQUIRE_ENCRYPTION=on`: nothing is copied unless the remote is a `crypt` remote.
    public let requireEncryption: Bool

    public init?(settings: BackupSettings, rclone: String? = nil) {
        guard let name = settings.rcloneRemoteName, let path = settings.rcloneRemotePath else { return nil }
        self.name = name
        self.path = path.hasSuffix("/") ? String(path.dropLast()) : path
        self.config = settings.rcloneConfig
        self.rclone = rclone ?? PostgresTools().find("rclone") ?? "/usr/bin/rclone"
        self.requireEncryption = settings.offsiteRequireEncryption
    }

    /// The remote's type as its rclone config names it (`crypt`, `webdav`, `s3`, …), from
    /// `rclone listremotes --long` (which prints no secret); nil when rclone cannot tell.
    public func type() async -> String? {
        guard let text = try? await command(["listremotes", "--long"]).output() else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// Nil when the copies are encrypted (a `crypt` remote); else one line saying they are not.
    public func unencrypted() async -> String? { unencrypted(type: await type()) }

    /// The same for a ``type()`` already asked.
    public func unencrypted(type: String?) -> String? {
        guard type != "crypt" else { return nil }
        return "offsite copies go to RCLONE_REMOTE_NAME=\(name), \(type.map { "a \($0) remote" } ?? "a remote rclone does not list"), unencrypted; wrap it in an rclone crypt remote (docs/backups.md#encrypted-offsite-copies)"
    }

    /// `remote:path/<folder>/<file>`
    public func target(_ folder: String, _ file: String) -> String {
        "\(name):\(path.isEmpty ? "" : path + "/")\(folder)/\(file)"
    }

    func command(_ arguments: [String]) -> ChildProcess {
        var process = ChildProcess(rclone, (config.map { ["--config", $0] } ?? []) + arguments)
        process.gracePeriod = .seconds(5)
        return process
    }

    /// Copies one file and checks it arrived: the size always, and SHA-256 or MD5 when the
    /// remote reports one. Throws with rclone's message or the mismatch.
    /// - Parameter crypt: the remote is a crypt remote (``type()``, asked once per sync).
    public func upload(_ localPath: String, folder: String, file: String, sha256: String?, crypt: Bool) async throws {
        try await copy(from: localPath, to: target(folder, file))
        try await verify(target(folder, file), against: localPath, sha256: sha256, crypt: crypt)
    }

    /// Whether the remote copies a file into another name itself (rclone's server-side `Copy`:
    /// WebDAV COPY, S3 CopyObject, …), so a copy of a file already there costs no upload.
    public func copiesOnServer() async -> Bool {
        guard let text = try? await command(["backend", "features", "\(name):"]).output(),
              let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let features = json["Features"] as? [String: Any] else { return false }
        return (features["Copy"] as? Bool) == true
    }

    /// Makes `file` on the remote a server-side copy of `existing` in the same folder (an
    /// unchanged library's new point in time: same bytes as `localPath`), then checks it as
    /// ``upload(_:folder:file:sha256:crypt:)`` does. Only for remotes where ``copiesOnServer()``.
    public func copyOnRemote(existing: String, folder: String, file: String, localPath: String, sha256: String?, crypt: Bool) async throws {
        try await copy(from: target(folder, existing), to: target(folder, file))
        try await verify(target(folder, file), against: localPath, sha256: sha256, crypt: crypt)
    }

    /// Always transfers (`--ignore-times`): on a remote that keeps neither modification times nor
    /// hashes (WebDAV without a vendor, a crypt remote over one) rclone would otherwise compare
    /// sizes only and skip a new file of the same size — the undo window's index rewritten with
    /// other content, or a copy cut short and left at the right size.
    private func copy(from source: String, to destination: String) async throws {
        try await command(["copyto", "--ignore-times", "--retries", "1", "--low-level-retries", "2", "--contimeout", "10s", "--timeout", "60s",
                           source, destination]).output()
    }

    /// Checks the copy of `localPath` at `folder/file` as an upload does (size, and SHA-256, MD5
    /// or, on a crypt remote, `rclone cryptcheck`). Throws ``OffsiteError`` when it differs.
    public func check(folder: String, file: String, localPath: String, sha256: String?) async throws {
        try await verify(target(folder, file), against: localPath, sha256: sha256, crypt: await type() == "crypt")
    }

    /// A crypt remote keeps no hash of the plain bytes: `rclone cryptcheck` encrypts the local
    /// file with the remote's nonce and compares that with the checksum the real remote keeps
    /// of the stored object. A real remote that keeps none (WebDAV, FTP) cannot be asked: the
    /// copy is then read back and compared (`rclone check --download`), which costs its download.
    /// Both commands compare same-named files of two folders: a local file copied under another
    /// name (the undo window's index, a `.partial` snapshot) is checked through a private folder
    /// holding a copy of it under the remote name.
    private func cryptcheck(_ destination: String, against given: String) async throws {
        let name = (destination as NSString).lastPathComponent
        var localPath = given
        var renamed: String?
        if (given as NSString).lastPathComponent != name {
            let folder = NSTemporaryDirectory() + "laterbase-cryptcheck-\(UUID().uuidString)"
            try SecureDirectory.create(folder, mode: 0o700)
            renamed = folder
            localPath = folder + "/" + name
            try FileManager.default.copyItem(atPath: given, toPath: localPath)
        }
        defer { if let renamed { try? FileManager.default.removeItem(atPath: renamed) } }
        let list = NSTemporaryDirectory() + "laterbase-cryptcheck-\(UUID().uuidString)"
        try SecureFile.writeAtomically(Data((name + "\n").utf8), to: list, mode: 0o600)
        defer { unlink(list) }
        let folders = [(localPath as NSString).deletingLastPathComponent, (destination as NSString).deletingLastPathComponent]
        do {
            try await command(["cryptcheck", "--one-way", "--files-from-raw", list] + folders).output()
        } catch let error as ChildProcessError where error.stderr.contains("does not support any hashes") {
            do {
                try await command(["check", "--download", "--one-way", "--files-from-raw", list] + folders).output()
            } catch let error as ChildProcessError {
                throw OffsiteError(.hashMismatch, "\(destination) does not match the local file (rclone check --download: \(oneLine(error.stderr)))")
            }
        } catch let error as ChildProcessError {
            throw OffsiteError(.hashMismatch, "\(destination) does not match the local file (rclone cryptcheck: \(oneLine(error.stderr)))")
        }
    }

    private func verify(_ destination: String, against localPath: String, sha256: String?, crypt: Bool) async throws {
        let file = (destination as NSString).lastPathComponent
        let listing = try await command(["lsjson", "--hash", "--files-only", "--no-modtime", destination]).output()
        guard let entries = try? JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]],
              let entry = entries.first else {
            throw OffsiteError(.notListed, "rclone uploaded \(file) but cannot list it at \(destination)")
        }
        let localSize = ((try FileManager.default.attributesOfItem(atPath: localPath))[.size] as? NSNumber)?.int64Value ?? -1
        let remoteSize = (entry["Size"] as? NSNumber)?.int64Value ?? -2
        guard remoteSize == localSize else {
            throw OffsiteError(.sizeMismatch, "\(destination) has \(remoteSize) bytes, the local file \(localSize)")
        }
        let hashes = entry["Hashes"] as? [String: String] ?? [:]
        if hashes.isEmpty, crypt {
            try await cryptcheck(destination, against: localPath)
        } else if let remote = hashes["sha256"], let sha256, remote.lowercased() != sha256 {
            throw OffsiteError(.hashMismatch, "\(destination) has SHA-256 \(remote), the local file \(sha256)")
        } else if hashes["sha256"] == nil, let remote = hashes["md5"], !remote.isEmpty {
            let local = try await SecureFile.digest(of: localPath, using: Insecure.MD5.self)
            guard remote.lowercased() == local else { throw OffsiteError(.hashMismatch, "\(destination) has MD5 \(remote), the local file \(local)") }
        }
    }

    /// Deletes one file on the remote; a file that is already gone is fine.
    public func delete(folder: String, file: String) async throws {
        do {
            try await command(["deletefile", target(folder, file)]).output()
        } catch let error as ChildProcessError where error.stderr.contains("not found") {
            return
        }
    }
}
