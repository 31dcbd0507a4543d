import AsyncHTTPClient
import Foundation
import LaterbaseCore
import Logging
import NIOCore
import NIOHTTP1

/// Sends the pings of ``PingURL`` over HTTP from the agent itself (AsyncHTTPClient), each bounded
/// by ``timeout``; never throws and never holds up a pass for longer than that: a monitor that
/// does not answer costs a warning in the log (naming only its host).
public struct PingClient: Sendable {
    public let url: PingURL
    public var timeout: Duration = .seconds(10)
    let logger: Logger

    public init(url: PingURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// POSTs the signal (with the reason as the body for a failure); true when the monitor
    /// answered 2xx.
    @discardableResult
    public func ping(_ signal: PingURL.Signal) async -> Bool {
        var request = HTTPClientRequest(url: url.url(for: signal))
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "laterbase-backup-agent")
        if case .failure(let reason) = signal {
            request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: String(reason.prefix(10_000))))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                logger.warning("the ping monitor refused the ping", metadata: ["monitor": "\(url.host)", "status": "\(response.status.code)"])
                return false
            }
            return true
        } catch {
            logger.warning("the ping monitor could not be reached; backups go on", metadata: [
                "monitor": "\(url.host)", LogKey.error: "\(String(describing: type(of: error))): \(Self.reason(error))",
            ])
            return false
        }
    }

    /// AsyncHTTPClient's errors name their kind, never the URL.
    static func reason(_ error: any Error) -> String {
        redactingURLs(String("\(error)".prefix(200)))
    }
}
