import Foundation

/// A browser-like client of the console: a cookie jar of its own, no redirects followed (so the
/// tests see them). ``CurlClient`` speaks real HTTP to a launched agent; ``InProcessClient`` hands
/// requests to the router in-process (HummingbirdTesting). The tests run the same on both.
protocol ConsoleClient: Sendable {
    /// One request. `basic`: a password sent as HTTP basic auth; `form`: fields sent urlencoded;
    /// `html`: accept `text/html` as a browser does; `cookies`: false to neither send nor keep any.
    func exchange(_ method: String, _ path: String, basic: String?, form: [(String, String)]?, html: Bool, cookies: Bool) async throws -> ConsoleReply
}

/// A response as the tests read it: header names lowercased, repeated headers joined by newlines.
struct ConsoleReply: Sendable {
    let status: Int
    let headers: [String: String]
    let body: String
    /// The body's bytes as sent (in-process replies; a download is not text).
    var data = Data()
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

extension ConsoleClient {
    /// - Parameters:
    ///   - basic: a password sent as HTTP basic auth.
    ///   - form: fields sent urlencoded (POST).
    ///   - cookies: false to send no cookie from the jar.
    func send(_ method: String, _ path: String, basic: String? = nil, form: [(String, String)]? = nil,
              html: Bool = true, cookies: Bool = true) async throws -> ConsoleReply {
        try await exchange(method, path, basic: basic, form: form, html: html, cookies: cookies)
    }

    /// Logs in through the login form as a browser does; returns the session's CSRF token.
    func logIn(password: String) async throws -> String {
        let page = try await send("GET", "/login")
        let token = try FormText.csrf(in: page.body)
        let reply = try await send("POST", "/login", form: [("csrf", token), ("password", password)])
        guard reply.status == 302, reply.header("location") == "/" else {
            throw ClientError("login answered \(reply.status): \(reply.body.prefix(300))")
        }
        return try FormText.csrf(in: try await send("GET", "/").body)
    }
}

/// What the tests read from and write into forms.
enum FormText {
    /// The value of the page's first `csrf` field.
    static func csrf(in html: String) throws -> String {
        guard let range = html.range(of: #"name="csrf" value=""#) else { throw ClientError("no CSRF field in the page") }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// A form or query value, percent-encoded as a browser sends it.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// Fields urlencoded, in order.
    static func body(_ form: [(String, String)]) -> String {
        form.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
