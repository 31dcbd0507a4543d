import Foundation
import LaterbaseCore

/// A real SMTP server for tests: aiosmtpd (Debian's `python3-aiosmtpd`) on a free loopback
/// port, plain SMTP without TLS or AUTH, as a mail relay inside a facility. Each message it
/// accepts is decoded by Python's `email` package (MIME parts, base64, quoted-printable,
/// encoded headers) and appended to a file as one JSON line, which ``messages`` reads; the
/// SMTP answer "250" comes only after that line is written, so a sender that saw its mail
/// accepted finds it there.
///
/// ``with(_:)`` stops the server however its body ends; the server also exits by itself
/// within a second when the test process that started it is gone.
public final class SMTPServer: @unchecked Sendable {
    /// One accepted message: the envelope's sender and recipients, the decoded subject, and the
    /// decoded text of its plain-text part (its HTML part when it has none).
    public struct Message: Sendable, Equatable, Decodable {
        public let from: String
        public let to: [String]
        public let subject: String
        public let body: String
    }

    public let port: Int
    /// The temporary folder holding the received messages and the server's log.
    public let folder: String
    private let process: Process

    private var messagesFile: String { folder + "/messages.jsonl" }
    private var logFile: String { folder + "/server.log" }

    private init(port: Int, folder: String, process: Process) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// Runs `body` with a started server, and stops it and removes its folder afterwards,
    /// when `body` throws or is cancelled too.
    public static func with<T>(_ body: (SMTPServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            server.stop()
            return result
        } catch {
            server.stop()
            throw error
        }
    }

    /// The messages accepted so far, oldest first.
    public var messages: [Message] {
        guard let data = FileManager.default.contents(atPath: messagesFile) else { return [] }
        // Only whole lines: the last one may still be being written.
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n").dropLast()
        return lines.compactMap { try? JSONDecoder().decode(Message.self, from: Data($0.utf8)) }
    }

    /// Waits until at least `count` messages arrived (or `timeout`), then returns them all.
    public func wait(for count: Int, timeout: Duration = .seconds(60)) async -> [Message] {
        _ = await poll(timeout: timeout) { self.messages.count >= count }
        return messages
    }

    /// An Apprise `mailto://` URL that delivers to this server: plain SMTP (no TLS, no login),
    /// the sender and the recipient given in the query.
    public func mailtoURL(from sender: String, to recipient: String) -> String {
        "mailto://127.0.0.1:\(port)?from=\(sender)&to=\(recipient)"
    }

    /// Stops the server and removes its folder. SIGKILL: it keeps nothing unwritten (a message
    /// is on disk before it is accepted), and a child of the test process starts with SIGTERM
    /// blocked (the signal mask is inherited), so SIGTERM would not end it.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts aiosmtpd on a free port and waits until it listens. A port taken between
    /// ``FreePort/find()`` and the bind is replaced by another.
    static func start() async throws -> SMTPServer {
        let python = try pythonWithAiosmtpd()
        var lastProblem = ""
        for _ in 0..<5 {
            let folder = NSTemporaryDirectory() + "laterbase-smtp-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let port = try FreePort.find()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", script, String(port), folder]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
            process.standardError = FileHandle(forWritingAtPath: folder + "/server.log")
            try process.run()
            let server = SMTPServer(port: port, folder: folder, process: process)
            let ready = await poll(timeout: .seconds(60)) {
                FileManager.default.fileExists(atPath: folder + "/ready") || !process.isRunning
            }
            if ready && process.isRunning { return server }
            lastProblem = (try? String(contentsOfFile: server.logFile, encoding: .utf8)) ?? ""
            server.stop()
            if !lastProblem.lowercased().contains("address already in use") { break }
        }
        let tail = lastProblem.split(whereSeparator: \.isNewline).suffix(5).joined(separator: "\n")
        throw ClusterError("aiosmtpd did not start listening: \(tail.isEmpty ? "no answer within 60 s" : tail)")
    }

    /// Debian's `/usr/bin/python3` (where `python3-aiosmtpd` installs), else `python3` on PATH,
    /// whichever can import aiosmtpd.
    static func pythonWithAiosmtpd() throws -> String {
        let candidates = ["/usr/bin/python3", PostgresTools().find("python3")].compactMap { $0 }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: candidate)
            probe.arguments = ["-c", "import aiosmtpd"]
            probe.standardInput = FileHandle.nullDevice
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return candidate }
        }
        throw ClusterError("no python3 with aiosmtpd (tried \(candidates.joined(separator: ", "))); install Debian's python3-aiosmtpd (scripts/install-deps)")
    }

    /// The server: `python3 -c script PORT FOLDER`. Writes `FOLDER/ready` once it listens; exits
    /// when its parent (the test process) is gone.
    private static let script = #"""
    import asyncio, json, os, sys
    from email import message_from_bytes, policy
    from aiosmtpd.smtp import SMTP

    port, folder = int(sys.argv[1]), sys.argv[2]
    parent = os.getppid()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            part = message.get_body(preferencelist=("plain", "html"))
            record = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "subject": str(message.get("subject", "")),
                      "body": part.get_content().replace("\r\n", "\n") if part is not None else ""}
            with open(os.path.join(folder, "messages.jsonl"), "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            return "250 Message accepted for delivery"

    async def main():
        # A fixed host name: aiosmtpd would otherwise ask the resolver for this machine's.
        await asyncio.get_running_loop().create_server(lambda: SMTP(Handler(), hostname="laterbase-test"), "127.0.0.1", port)
        open(os.path.join(folder, "ready"), "w").close()
        while os.getppid() == parent:
            await asyncio.sleep(1)

    asyncio.run(main())
    """#
}
