import Foundation
import Hummingbird

/// A submitted form: the fields of an `application/x-www-form-urlencoded` body, accepted only
/// from a logged-in session whose CSRF token it carries.
struct ConsoleForm {
    let fields: [String: String]

    /// - Throws: `HTTPError` 403 without a session or with a missing or wrong `csrf` field.
    static func read(_ request: Request, context: ConsoleContext) async throws -> ConsoleForm {
        guard let session = context.session else {
            throw HTTPError(.forbidden, message: "changes need a logged-in session (log in at /login); basic auth may only read")
        }
        let form = try await parse(request)
        guard let token = form.fields["csrf"], ConsoleSessions.sameToken(token, session.csrf) else {
            throw HTTPError(.forbidden, message: "the form's CSRF token is missing or wrong; reload the page and submit it again")
        }
        return form
    }

    /// The fields of the body, whoever sent it (the login form checks its own token).
    static func parse(_ request: Request) async throws -> ConsoleForm {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        return ConsoleForm(fields: decode(String(buffer: body)))
    }

    /// `a=1&b=x+y%21` → ["a": "1", "b": "x y!"]; a repeated name keeps its first value.
    /// (Not Hummingbird's URLEncodedFormDecoder: it refuses a repeated name and reads `a[b]`
    /// as structure, where a form field is just a name and a value.)
    static func decode(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = unescape(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? unescape(parts[1]) : "" }
        }
        return fields
    }

    private static func unescape(_ text: Substring) -> String {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }

    subscript(_ name: String) -> String? { fields[name] }
}
