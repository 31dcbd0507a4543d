import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// ``ConsoleClient`` in-process: each request goes straight to the console's router through
/// HummingbirdTesting (`app.test(.router)`), with a cookie jar of its own that keeps what
/// `Set-Cookie` says (name, value, `Path`, `Max-Age=0` to forget) as a browser would.
struct InProcessClient: ConsoleClient {
    let client: any TestClientProtocol
    private let jar = CookieJar()

    init(_ client: any TestClientProtocol) { self.client = client }

    func exchange(_ method: String, _ path: String, basic: String?, form: [(String, String)]?, html: Bool, cookies: Bool) async throws -> ConsoleReply {
        guard let method = HTTPRequest.Method(method) else { throw ClientError("not a method: \(method)") }
        var headers = HTTPFields()
        headers[.accept] = html ? "text/html" : "*/*"
        if let basic { headers[.authorization] = "Basic " + Data("laterbase:\(basic)".utf8).base64EncodedString() }
        if cookies, let cookie = jar.header(for: path) { headers[.cookie] = cookie }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: FormText.body(form))
        }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        if cookies { jar.keep(response.headers[values: .setCookie]) }
        var replyHeaders: [String: String] = [:]
        for field in response.headers {
            let name = field.name.canonicalName
            replyHeaders[name] = replyHeaders[name].map { $0 + "\n" + field.value } ?? field.value
        }
        return ConsoleReply(status: Int(response.status.code), headers: replyHeaders, body: String(buffer: response.body),
                            data: Data(response.body.readableBytesView))
    }
}

/// Cookies by name: value and path.
final class CookieJar: Sendable {
    private let cookies = Mutex<[String: (value: String, path: String)]>([:])

    /// `a=1; b=2` for a request to `path`; nil when no cookie applies.
    func header(for path: String) -> String? {
        let requestPath = String(path.prefix { $0 != "?" })
        let sent = cookies.withLock { cookies in
            cookies.filter { _, cookie in
                requestPath == cookie.path || requestPath.hasPrefix(cookie.path.hasSuffix("/") ? cookie.path : cookie.path + "/")
            }.map { "\($0.key)=\($0.value.value)" }.sorted()
        }
        return sent.isEmpty ? nil : sent.joined(separator: "; ")
    }

    /// Takes in `Set-Cookie` values: `name=value; Path=/; Max-Age=0; HttpOnly`.
    func keep(_ setCookies: [String]) {
        for line in setCookies {
            let parts = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]), value = String(pair[pair.index(after: equals)...])
            var path = "/", expired = false
            for attribute in parts.dropFirst() {
                let lower = attribute.lowercased()
                if lower.hasPrefix("path=") { path = String(attribute.dropFirst(5)) }
                if lower.hasPrefix("max-age="), let seconds = Int(attribute.dropFirst(8)), seconds <= 0 { expired = true }
            }
            cookies.withLock { $0[name] = expired ? nil : (value, path) }
        }
    }
}
