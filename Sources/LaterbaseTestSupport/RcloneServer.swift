import Foundation
import LaterbaseCore

/// A real rclone remote for tests: `rclone serve webdav` of a temporary folder on a free
/// loopback port, and an rclone config naming it `offsite`. Can be killed and started again on
/// the same port to play a remote that goes away.
public final class RcloneServer: @unchecked Sendable {
    public let root: String
    public let served: String
    public let configPath: String
    public let port: Int
    private var process: Process?

    public init() throws {
        root = NSTemporaryDirectory() + "laterbase-rclone-\(UUID().uuidString)"
        served = root + "/remote"
        configPath = root + "/rclone.conf"
        port = try FreePort.find()
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try "[offsite]\ntype = webdav\nurl = http://127.0.0.1:\(port)\nvendor = other\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        try start()
    }

    public static var rclone: String {
        get throws {
            guard let path = PostgresTools().find("rclone") else { throw ClusterError("rclone is not installed (apt-get install rclone)") }
            return path
        }
    }

    /// Starts serving and waits until the port answers.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.rclone)
        process.arguments = ["serve", "webdav", served, "--addr", "127.0.0.1:\(port)", "--config", "/dev/null"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if Self.answers(port) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ClusterError("rclone serve webdav did not start on port \(port)")
    }

    /// Kills the server at once (SIGKILL), as a remote that vanishes.
    public func kill() {
        if let process, process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
    }

    public func remove() {
        kill()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A config (0600, beside ``configPath``) with the WebDAV remote `offsite` wrapped in the crypt
    /// remote `sealed` (folder `vault`), and — with `localTwin` — the same folder as rclone's
    /// `local` remote `disk` (which keeps MD5 and SHA-1, as S3, B2 or GCS do) wrapped in the crypt
    /// remote `hashed`. One passphrase, obscured by `rclone obscure`, never an argument of ours.
    public func sealedConfig(localTwin: Bool = false) async throws -> String {
        let obscured = try await ChildProcess(try Self.rclone, ["obscure", "crypt-pass-\(UUID().uuidString.prefix(8))"]).output()
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let path = root + "/sealed.conf"
        var text = try String(contentsOfFile: configPath, encoding: .utf8) + "\n[sealed]\ntype = crypt\nremote = offsite:vault\npassword = \(obscured)\n"
        if localTwin {
            text += "\n[disk]\ntype = local\n\n[hashed]\ntype = crypt\nremote = disk:\(served)/vault\npassword = \(obscured)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    /// Files under the served folder, as `relative/path`.
    public func files() -> [String] {
        (FileManager.default.enumerator(atPath: served)?.allObjects as? [String] ?? [])
            .filter { !FileManager.default.isDirectory(served + "/" + $0) }.sorted()
    }

    private static func answers(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopbackAddress(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
