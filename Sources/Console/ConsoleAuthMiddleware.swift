import Foundation
import HTTPTypes
import Hummingbird

/// Every route but the login page needs a session cookie or HTTP basic auth with the console
/// password (any user name). A browser without either is sent to `/login`; anything else gets
/// 401 with a `WWW-Authenticate` challenge. Writes (POST) need a session and its CSRF token,
/// which ``ConsoleForm`` checks: basic auth alone can only read, since a browser replays cached
/// basic credentials on a forged cross-site form. A password, given here or at `/login`, goes
/// through the global ``LoginThrottle``; a session never does.
struct ConsoleAuthMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let sessions: ConsoleSessions

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        if request.uri.path == "/login" { return try await next(request, context) }
        var context = context
        if let token = request.cookies[ConsoleSessions.cookieName]?.value, let session = await sessions.lookup(token) {
            context.session = session
            return try await next(request, context)
        }
        if let password = Self.basicPassword(request.headers[.authorization]) {
            switch try await sessions.check(password) {
            case .right: return try await next(request, context)
            case .wrong: return Self.challenge("wrong password")
            case .throttled(let seconds): return Self.tooManyWrongPasswords(retryAfter: seconds)
            }
        }
        let wantsPage = request.method == .get && (request.headers[.accept] ?? "").contains("text/html")
        return wantsPage ? .redirect(to: "/login", type: .found) : Self.challenge("log in first")
    }

    /// The password of an `Authorization: Basic …` header, nil for anything else.
    static func basicPassword(_ header: String?) -> String? {
        guard let header, header.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[text.index(after: colon)...])
    }

    /// 429: the password was not read (``LoginThrottle``).
    static func tooManyWrongPasswords(retryAfter seconds: Int) -> Response {
        var headers = HTTPFields()
        headers[.retryAfter] = String(seconds)
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let text = "too many wrong passwords lately; try again in \(seconds) s\n"
        return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func challenge(_ reason: String) -> Response {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = #"Basic realm="Laterbase console", charset="UTF-8""#
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
    }
}
