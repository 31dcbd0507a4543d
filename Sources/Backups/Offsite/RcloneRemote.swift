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

    public init?(settings: BackupSettings, rclone: String? = nil) {
        guard let name = settings.rcloneRemoteName, let path = settings.rcloneRemotePath else { return nil }
        self.name = name
        self.path = path.hasSuffix("/") ? String(path.dropLast()) : path
        self.config = settings.rcloneConfig
        self.rclone = rclone ?? PostgresTools().find("rclone") ?? "/usr/bin/rclone"
    }

    /// `remote:path/<folder>/<file>`
    public func target(_ folder: String, _ file: String) -> String {
        "\(name):\(path.isEmpty ? "" : path + "/")\(folder)/\(file)"
    }

    private func command(_ arguments: [String]) -> ChildProcess {
        var process = ChildProcess(rclone, (config.map { ["--config", $0] } ?? []) + arguments)
        process.gracePeriod = .seconds(5)
        return process
    }

    /// Copies one file and checks it arrived: the size always, and SHA-256 or MD5 when the
    /// remote reports one. Throws with rclone's message or the mismatch.
    public func upload(_ localPath: String, folder: String, file: String, sha256: String?) async throws {
        try await copy(from: localPath, to: target(folder, file))
        try await verify(target(folder, file), against: localPath, sha256: sha256)
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
    /// ``upload(_:folder:file:sha256:)`` does. Only for remotes where ``copiesOnServer()``.
    public func copyOnRemote(existing: String, folder: String, file: String, localPath: String, sha256: String?) async throws {
        try await copy(from: target(folder, existing), to: target(folder, file))
        try await verify(target(folder, file), against: localPath, sha256: sha256)
    }

    private func copy(from source: String, to destination: String) async throws {
        try await command(["copyto", "--retries", "1", "--low-level-retries", "2", "--contimeout", "10s", "--timeout", "60s",
                           source, destination]).output()
    }

    private func verify(_ destination: String, against localPath: String, sha256: String?) async throws {
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
        if let remote = hashes["sha256"], let sha256, remote.lowercased() != sha256 {
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
