import HTTPTypes
import Hummingbird

/// A page's view model: the values its template shows, already formatted as plain text (the
/// template escapes each one: mustache's `{{ }}`). Stored properties only: mustache reads them by
/// reflection. A nil or missing value is looked up in the enclosing sections and then in
/// ``LayoutContext``, so a view's names stay clear of `title`, `refresh`, `csrf` and `view`.
protocol ConsoleView: Sendable {
    /// The template's file name in `Templates/`, without `.mustache`.
    static var template: String { get }
}

/// A console page as a response — a `ResponseGenerator`, as hummingbird's own examples render
/// mustache: `view` in its template inside the layout, with the console's security headers.
struct ConsolePage<View: ConsoleView>: ResponseGenerator {
    let templates: ConsoleTemplates
    let title: String
    let view: View
    /// The logged-in session: its CSRF token goes into every form and the Log out button. Nil
    /// (basic auth, the login page): no Log out button, and forms carry an empty token.
    let session: ConsoleSessions.Session?
    /// Seconds after which the browser reloads the page by itself.
    var refresh: Int? = nil
    var status: HTTPResponse.Status = .ok

    func response(from request: Request, context: some RequestContext) throws -> Response {
        guard let html = templates.render(self) else {
            throw HTTPError(.internalServerError, message: "the console has no page template \(View.template)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What `layout.mustache` reads: the title, the reload interval, the session's CSRF token (nil:
/// no Log out button) and the page's view, which the page template opens with `{{#view}}`.
struct LayoutContext<View: Sendable>: Sendable {
    let title: String
    let refresh: Int?
    let csrf: String?
    let view: View
}
