import Foundation
import LaterbaseTestSupport
import Testing

/// Issue 24, item 2: one budget of wrong passwords for all clients together. Over real HTTP
/// against the launched agent, as the adversarial test guessed: many connections in parallel.
@Suite("console: the global budget of wrong passwords", .timeLimit(.minutes(3)))
struct ConsoleLoginThrottleTests {
    static let connections = 100
    static let guessesPerConnection = 10

    @Test("1,000 wrong passwords from 100 connections: few are read, the rest get 429; one warning; the right password works after the wait")
    func parallelGuessing() async throws {
        try await ConsoleHarness.with { console in
            let port = console.port
            let started = ContinuousClock.now
            let replies = await onThreads(Self.connections) { connection -> [RawHTTP.Reply] in
                var http = RawHTTP(port: port)
                defer { http.close() }
                return (0..<Self.guessesPerConnection).compactMap { guess in
                    try? http.get("/healthz", basicPassword: "wrong-\(connection)-\(guess)")
                }
            }.flatMap { $0 }
            let elapsed = ContinuousClock.now - started
            let read = replies.filter { $0.status == 401 }.count
            let refused = replies.filter { $0.status == 429 }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("console throttle: \(replies.count) guesses in \(elapsed): \(read) read (\(String(format: "%.1f", Double(read) / seconds)) wrong passwords read per second), \(refused.count) refused with 429")

            #expect(replies.count == Self.connections * Self.guessesPerConnection, "every guess got an answer")
            #expect(replies.allSatisfy { $0.status == 401 || $0.status == 429 }, "\(Set(replies.map(\.status)))")
            #expect(read <= 20, "\(read) wrong passwords were read")
            #expect(refused.count >= replies.count - 20)
            #expect(refused.allSatisfy { ($0.retryAfter ?? 0) >= 1 }, "every 429 says when to come back")

            let log = console.log()
            let warnings = log.components(separatedBy: "console: too many wrong passwords").count - 1
            #expect(warnings == 1, "one warning for the burst, not \(warnings)")
            #expect(!log.contains("wrong-0-0") && !log.contains(console.password), "no password in the log")

            // During the wait even the right password is not read; after it, it works.
            let client = try console.newClient()
            var reply = try await client.send("GET", "/healthz", basic: console.password, html: false)
            if reply.status == 429 {
                let wait = Int(reply.header("retry-after") ?? "") ?? 0
                #expect((1...60).contains(wait), "Retry-After \(wait)")
                try await Task.sleep(for: .seconds(wait) + .milliseconds(300))
                reply = try await client.send("GET", "/healthz", basic: console.password, html: false)
            }
            #expect(reply.status == 200, "the right password after the wait: \(reply.status) \(reply.body)")
            _ = try await client.logIn(password: console.password)
        }
    }

    @Test("while the wait lasts, the log-in form answers 429 with Retry-After and the reason, and a session keeps working")
    func formDuringTheWait() async throws {
        try await ConsoleHarness.with { console in
            let browser = console.client
            _ = try await browser.logIn(password: console.password)
            let port = console.port
            // Guessing for 3 s: the waits grow to 4 s, so the form below comes within one.
            let deadline = ContinuousClock.now + .seconds(3)
            _ = await onThreads(20) { index -> Int in
                var http = RawHTTP(port: port)
                defer { http.close() }
                var guesses = 0
                while ContinuousClock.now < deadline, (try? http.get("/healthz", basicPassword: "guess-\(index)-\(guesses)")) != nil {
                    guesses += 1
                    usleep(10_000)
                }
                return guesses
            }
            // The form first (GET /login is not a log-in), so only the POST has to fall within the wait.
            let other = try console.newClient()
            let page = try await other.send("GET", "/login")
            let token = try FormText.csrf(in: page.body)
            // Until a wait has 10 s or more left: each wrong password read when a wait is over doubles
            // the next (1, 2, 4, 8, 16 s), so the POST below lands within it even on a loaded machine.
            var http = RawHTTP(port: port)
            defer { http.close() }
            let long = await poll(timeout: .seconds(60), every: .milliseconds(50)) {
                ((try? http.get("/healthz", basicPassword: "one-more-guess"))?.retryAfter ?? 0) >= 10
            }
            try #require(long, "the waits never grew to 10 s")
            let refused = try await other.send("POST", "/login", form: [("csrf", token), ("password", console.password)])
            #expect(refused.status == 429, "\(refused.status)")
            #expect(Int(refused.header("retry-after") ?? "") != nil)
            #expect(refused.body.contains("Too many wrong passwords lately; try again in "))
            #expect(try await browser.send("GET", "/").status == 200, "a logged-in session is not throttled")
        }
    }
}
