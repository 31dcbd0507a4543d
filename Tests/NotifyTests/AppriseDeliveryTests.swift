import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
@testable import Notify
import Testing

/// The real `apprise` program against a real HTTP receiver (`json://`).
@Suite("notifications through Apprise", .timeLimit(.minutes(2)))
struct AppriseDeliveryTests {
    @Test("a notification reaches a json:// receiver with its title, body and type")
    func delivers() async throws {
        try await NotifyReceiver.with { receiver in
            let url = "json://127.0.0.1:\(receiver.port)/ok?cto=60&rto=60"
            try await AppriseSender(urls: Secret(url)).send(Notification(title: "Laterbase: backup of Demo failed", body: "pg_dump said no", kind: .failure))
            let hits = await receiver.wait(for: 1)
            #expect(hits.count == 1)
            let json = try JSONSerialization.jsonObject(with: Data((hits.first?.body ?? "").utf8)) as? [String: Any]
            #expect(json?["title"] as? String == "Laterbase: backup of Demo failed")
            #expect(json?["message"] as? String == "pg_dump said no")
            #expect(json?["type"] as? String == "failure")
        }
    }

    @Test("a receiver that answers 500 is a one-line error without the URL's secret; one that hangs is given up on")
    func failures() async throws {
        try await NotifyReceiver.with { receiver in
            let failing = try AppriseSender(urls: Secret("json://laterbase:s3cret-token@127.0.0.1:\(receiver.port)/fail500?cto=60&rto=60"))
            let error = await #expect(throws: DeliveryError.self) { try await failing.send(Notification(title: "t", body: "b", kind: .info)) }
            #expect(error?.description.contains("500") == true, "\(error?.description ?? "")")
            #expect(error?.description.contains("s3cret") == false)
            #expect(error?.description.contains("\n") == false)

            var hanging = try AppriseSender(urls: Secret("json://127.0.0.1:\(receiver.port)/hang"))
            hanging.timeout = .seconds(3)
            let started = ContinuousClock.now
            await #expect(throws: DeliveryError.self) { try await hanging.send(Notification(title: "t", body: "b", kind: .info)) }
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test("NOTIFY_URLS: a URL Apprise cannot use is a configuration error naming it by number and scheme only")
    func validation() async throws {
        let good = try NotifySettings(environment: EnvironmentReader(["NOTIFY_URLS": "json://127.0.0.1:1/x, mailto://user:pw@example.com"]))
        try await AppriseSender.validate(good)
        let bad = try NotifySettings(environment: EnvironmentReader(["NOTIFY_URLS": "json://127.0.0.1:1/x nosuch://secret-token@y"]))
        let error = await #expect(throws: ConfigurationError.self) { try await AppriseSender.validate(bad) }
        #expect(error?.variable == "NOTIFY_URLS")
        #expect(error?.problem.contains("URL 2 of 2 (nosuch://…)") == true, "\(error?.problem ?? "")")
        #expect(error?.description.contains("secret-token") == false)
        #expect(throws: ConfigurationError.self) { try NotifySettings(environment: EnvironmentReader(["PING_URL": "ftp://x/y"])) }
        #expect(throws: ConfigurationError.self) { try NotifySettings(environment: EnvironmentReader(["NOTIFY_REPEAT": "10s"])) }
    }
}
