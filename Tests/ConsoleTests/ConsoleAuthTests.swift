import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// The console against real backups of a real PostgreSQL, in-process and (auth, secrets) also
/// over real HTTP against the launched agent: nothing without the password, no change without a
/// session's CSRF token, no secret in any page or log line.
@Suite("console: authentication and CSRF", .timeLimit(.minutes(5)))
struct ConsoleAuthTests {
    static let pages = ["/", "/backups?db=Demo%20Library", "/search?project=Spot", "/restore?file=x", "/jobs", "/metrics", "/healthz"]
    static let posts = ["/restore", "/jobs/cancel", "/verify", "/logout"]

    @Test("every route but the login page needs the password", arguments: ConsoleTransport.allCases)
    func everyRouteNeedsAuth(_ transport: ConsoleTransport) async throws {
        try await transport.with { console in
            let client = console.client
            for path in Self.pages {
                let browser = try await client.send("GET", path)
                #expect(browser.status == 302 && browser.header("location") == "/login", "GET \(path) from a browser: \(browser.status)")
                let script = try await client.send("GET", path, html: false)
                #expect(script.status == 401 && script.header("www-authenticate")?.hasPrefix("Basic") == true, "GET \(path): \(script.status)")
                let wrong = try await client.send("GET", path, basic: "not-the-password", html: false)
                #expect(wrong.status == 401, "GET \(path) with a wrong password: \(wrong.status)")
                #expect(!wrong.body.contains("Demo Library") && !browser.body.contains("Demo Library"))
            }
            for path in Self.posts {
                let reply = try await client.send("POST", path, form: [("file", console.newestBackup()), ("as", "x")], html: false)
                #expect(reply.status == 401, "POST \(path) without auth: \(reply.status)")
            }
            #expect(try await client.send("GET", "/login").status == 200)
            // With the password every page answers.
            for path in Self.pages where path != "/restore?file=x" {
                let reply = try await client.send("GET", path, basic: console.password, html: false)
                #expect(reply.status == 200, "GET \(path) with the password: \(reply.status) \(reply.body.prefix(200))")
            }
            #expect(try await client.send("GET", "/restore?file=x", basic: console.password).status == 404)
        }
    }

    @Test("a POST without the session's CSRF token is refused and changes nothing")
    func csrfRefused() async throws {
        try await InProcessConsole.with { console in
            let client = console.client
            let file = console.newestBackup()
            let wrongLogin = try await client.send("POST", "/login", form: [("csrf", "forged"), ("password", console.password)])
            #expect(wrongLogin.status == 403, "a login without the login form's cookie: \(wrongLogin.status)")
            let badPassword = try await client.send("POST", "/login", form: [("csrf", try FormText.csrf(in: try await client.send("GET", "/login").body)), ("password", "wrong-password")])
            #expect(badPassword.status == 401 && badPassword.body.contains("Wrong password"))

            let token = try await client.logIn(password: console.password)
            for name in ["csrf missing", "csrf wrong", "basic auth"] {
                let fields: [(String, String)]
                switch name {
                case "csrf missing": fields = [("file", file), ("as", "forged_restore")]
                case "csrf wrong": fields = [("csrf", String(repeating: "0", count: 64)), ("file", file), ("as", "forged_restore")]
                default: fields = [("csrf", token), ("file", file), ("as", "forged_restore")]
                }
                let reply = name == "basic auth"
                    ? try await client.send("POST", "/restore", basic: console.password, form: fields, cookies: false)
                    : try await client.send("POST", "/restore", form: fields)
                #expect(reply.status == 403, "\(name): \(reply.status)")
            }
            let cancel = try await client.send("POST", "/jobs/cancel", form: [])
            #expect(cancel.status == 403)
            let created = try await console.cluster.query("SELECT count(*) FROM pg_database WHERE datname = 'forged_restore'")
            #expect(created.scalar == "0")

            // Logging out ends the session: its cookie no longer opens a page.
            #expect(try await client.send("POST", "/logout", form: [("csrf", token)]).status == 302)
            #expect(try await client.send("GET", "/").status == 302)
        }
    }

    @Test("neither password appears in a page, a response header or the agent's log", arguments: ConsoleTransport.allCases)
    func noSecretAnywhere(_ transport: ConsoleTransport) async throws {
        try await transport.with { console in
            let client = console.client
            _ = try await client.logIn(password: console.password)
            var seen = ""
            for path in Self.pages + ["/restore?file=" + FormText.escape(console.newestBackup()), "/login"] {
                let reply = try await client.send("GET", path)
                seen += reply.body + reply.headers.values.joined()
            }
            let secrets = [console.password, console.cluster.password.reveal()]
            for secret in secrets {
                #expect(!seen.contains(secret))
                #expect(!console.log().contains(secret))
            }
            // The launched agent logs its console's address once it listens (in-process: no socket).
            if transport == .http { #expect(console.log().contains("web console listening")) }
        }
    }
}
