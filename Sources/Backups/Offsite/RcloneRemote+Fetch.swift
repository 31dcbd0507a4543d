import Foundation
import LaterbaseCore

/// Reading the remote back — what `list --offsite` and `restore --from-offsite` need on a machine
/// that has only the rclone config — and the few writes the undo window's copy adds (a small
/// file, a whole folder deleted).
extension RcloneRemote {
    /// One file on the remote, from `rclone lsjson`.
    public struct RemoteFile: Sendable, Equatable {
        /// Relative to the folder listed: `Resolve/Resolve_backup_20261124_150000.sql.gz`.
        public let path: String
        public let size: Int64
        public let modified: Date?
        public var name: String { (path as NSString).lastPathComponent }
    }

    /// `remote:path/<folder>` (`remote:path` for an empty folder).
    public func location(_ folder: String) -> String {
        let inside = [path, folder].filter { !$0.isEmpty }.joined(separator: "/")
        return "\(name):\(inside)"
    }

    /// The files under `folder` (recursively down to `depth` levels); a folder that does not
    /// exist is empty. Throws with rclone's message when the remote cannot be listed.
    public func list(_ folder: String, depth: Int = 1) async throws -> [RemoteFile] {
        let text: String
        do {
            text = try await command(["lsjson", "--files-only", "--no-mimetype", "-R", "--max-depth", "\(depth)", location(folder)]).output(limit: 64 * 1024 * 1024)
        } catch let error as ChildProcessError where error.stderr.contains("directory not found") {
            return []
        }
        guard let entries = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw OffsiteError(.notListed, "rclone lsjson of \(location(folder)) printed no listing")
        }
        return entries.compactMap { entry in
            guard let path = entry["Path"] as? String else { return nil }
            let size = (entry["Size"] as? NSNumber)?.int64Value ?? -1
            let modified = (entry["ModTime"] as? String).flatMap(Self.parseModTime)
            return RemoteFile(path: path, size: size, modified: modified)
        }
    }

    /// A small file's bytes (a manifest, the undo window's index), at most 64 MiB; nil when it does not exist.
    public func read(_ folder: String, _ file: String) async throws -> Data? {
        do {
            return Data(try await command(["cat", target(folder, file)]).output(limit: 64 * 1024 * 1024).utf8)
        } catch let error as ChildProcessError where error.stderr.contains("not found") {
            return nil
        }
    }

    /// Copies `folder/file` from the remote to `localPath` (rclone checks the transfer with the
    /// hashes both sides know; a crypt remote authenticates every block it decrypts).
    public func download(_ folder: String, _ file: String, to localPath: String) async throws {
        try await command(["copyto", "--retries", "2", "--low-level-retries", "3", "--contimeout", "10s", "--timeout", "60s",
                           target(folder, file), localPath]).output()
    }

    /// Writes `data` as `folder/file` on the remote (through a private temporary file) and checks it as an upload.
    public func write(_ data: Data, folder: String, file: String, crypt: Bool) async throws {
        let temporary = NSTemporaryDirectory() + "laterbase-upload-\(UUID().uuidString)-" + file
        try SecureFile.writeAtomically(data, to: temporary, mode: 0o600)
        defer { unlink(temporary) }
        try await upload(temporary, folder: folder, file: file, sha256: nil, crypt: crypt)
    }

    /// Deletes `folder` and everything in it; a folder that is already gone is fine.
    public func purge(_ folder: String) async throws {
        do {
            try await command(["purge", location(folder)]).output()
        } catch let error as ChildProcessError where error.stderr.contains("not found") {
            return
        }
    }

    /// rclone's `ModTime`: RFC 3339 with up to nanoseconds.
    static func parseModTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        // More than the three fractional digits Foundation reads: cut them.
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let digits = text[text.index(after: dot)..<end].prefix(3)
            if let date = formatter.date(from: String(text[..<dot]) + "." + digits + String(text[end...])) { return date }
        }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
