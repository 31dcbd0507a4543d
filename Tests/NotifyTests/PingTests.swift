import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Notify
import Testing

@Suite("dead man's switch: PING_URL", .timeLimit(.minutes(2)))
struct PingTests {
    @Test("start, success and fail (with the reason as the body) reach the monitor in order")
    func order() async throws {
        try await NotifyReceiver.with { receiver in
            let url = try #require(PingURL(Secret(receiver.url("/ok/ping/0b4a-uuid"))))
            let client = PingClient(url: url, logger: Logger(label: "test"))
            #expect(await client.ping(.start))
            #expect(await client.ping(.success))
            #expect(await client.ping(.failure("backup failed for Demo: server down")))
            let hits = receiver.received
            #expect(hits.map(\.path) == ["/ok/ping/0b4a-uuid/start", "/ok/ping/0b4a-uuid", "/ok/ping/0b4a-uuid/fail"])
            #expect(hits.last?.body == "backup failed for Demo: server down")
        }
    }

    @Test("a monitor that does not answer costs at most the bound; one that refuses is false")
    func bounded() async throws {
        try await NotifyReceiver.with { receiver in
            var hanging = PingClient(url: try #require(PingURL(Secret(receiver.url("/hang/x")))), logger: Logger(label: "test"))
            hanging.timeout = .seconds(2)
            let started = ContinuousClock.now
            #expect(await hanging.ping(.success) == false)
            #expect(ContinuousClock.now - started < .seconds(10))
            let refusing = PingClient(url: try #require(PingURL(Secret(receiver.url("/fail500/x")))), logger: Logger(label: "test"))
            #expect(await refusing.ping(.start) == false)
        }
    }

    @Test("the suffix goes on the path, before a query (Uptime Kuma's push URL)")
    func suffixBeforeQuery() throws {
        let kuma = try #require(PingURL(Secret("https://kuma.example/api/push/tok3n?status=up&msg=OK")))
        #expect(kuma.url(for: .start) == "https://kuma.example/api/push/tok3n/start?status=up&msg=OK")
        #expect(kuma.url(for: .success) == "https://kuma.example/api/push/tok3n?status=up&msg=OK")
        #expect(kuma.host == "kuma.example")
        #expect(PingURL(Secret("hc-ping.com/uuid")) == nil)
    }
}
