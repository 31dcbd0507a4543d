import Foundation
import LaterbaseCore

/// A browser-like HTTP client over real HTTP, by curl: a cookie jar of its own, no redirects
/// followed (so the tests see them), the password and form data passed in 0600 files, never in
/// curl's arguments.
struct ConsoleClient {
    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: String
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    let base: String
    let folder: String

    init(port: Int) throws {
        base = "http://127.0.0.1:\(port)"
        folder = NSTemporaryDirectory() + "laterbase-console-client-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    var jar: String { folder + "/cookies" }

    /// - Parameters:
    ///   - basic: a password sent as HTTP basic auth.
    ///   - form: fields sent urlencoded (POST).
    ///   - cookies: false to send no cookie from the jar.
    func send(_ method: String, _ path: String, basic: String? = nil, form: [(String, String)]? = nil,
              html: Bool = true, cookies: Bool = true) async throws -> Reply {
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
            try SecureFile.writeAtomically(Data(form.map { Self.escape($0.0) + "=" + Self.escape($0.1) }.joined(separator: "&").utf8), to: dataFile, mode: 0o600)
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
        return Reply(status: status, headers: headers, body: body)
    }

    /// Logs in through the login form as a browser does; returns the session's CSRF token.
    func logIn(password: String) async throws -> String {
        let page = try await send("GET", "/login")
        let token = try Self.csrf(in: page.body)
        let reply = try await send("POST", "/login", form: [("csrf", token), ("password", password)])
        guard reply.status == 302, reply.header("location") == "/" else {
            throw ClientError("login answered \(reply.status): \(reply.body.prefix(300))")
        }
        return try Self.csrf(in: try await send("GET", "/").body)
    }

    static func csrf(in html: String) throws -> String {
        guard let range = html.range(of: #"name="csrf" value=""#) else { throw ClientError("no CSRF field in the page") }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
