import Foundation
import LaterbaseCore

/// ``ConsoleClient`` over real HTTP, by curl: a cookie jar of its own, no redirects followed,
/// the password and form data passed in 0600 files, never in curl's arguments.
struct CurlClient: ConsoleClient {
    let base: String
    let folder: String

    /// - Parameter folder: where its cookie jar and request files live (made 0700).
    init(port: Int, folder: String = NSTemporaryDirectory() + "laterbase-console-client-\(UUID().uuidString)") throws {
        base = "http://127.0.0.1:\(port)"
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    var jar: String { folder + "/cookies" }

    func exchange(_ method: String, _ path: String, basic: String?, form: [(String, String)]?, html: Bool, cookies: Bool) async throws -> ConsoleReply {
        let id = UUID().uuidString
        let headersOut = folder + "/h-" + id, bodyOut = folder + "/b-" + id, requestHeaders = folder + "/rh-" + id
        var lines = [html ? "Accept: text/html" : "Accept: */*"]
        if let basic { lines.append("Authorization: Basic " + Data("laterbase:\(basic)".utf8).base64EncodedString()) }
        try SecureFile.writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: requestHeaders, mode: 0o600)
        var arguments = ["-s", "-S", "-X", method, "-D", headersOut, "-o", bodyOut, "-H", "@" + requestHeaders, "--max-time", "60"]
        // Without cookies the jar is neither read nor written (curl rewrites it on exit).
        if cookies { arguments += ["-b", jar, "-c", jar] }
        if let form {
            let dataFile = folder + "/d-" + id
            try SecureFile.writeAtomically(Data(FormText.body(form).utf8), to: dataFile, mode: 0o600)
            arguments += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "@" + dataFile]
        }
        _ = try await ChildProcess("/usr/bin/curl", arguments + [base + path]).output()
        let head = (try? String(contentsOfFile: headersOut, encoding: .utf8)) ?? ""
        var status = 0
        var headers: [String: String] = [:]
        for line in head.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("HTTP/") { status = Int(line.split(separator: " ")[1]) ?? 0; continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + "\n" + value } ?? value
        }
        let body = (try? String(contentsOfFile: bodyOut, encoding: .utf8)) ?? ""
        return ConsoleReply(status: status, headers: headers, body: body)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
