import Foundation
import LaterbaseCore

/// Delivers notifications with the `apprise` program (Debian's package): one variable reaches
/// e-mail, Slack, Teams, Discord, ntfy, Telegram, webhooks and the rest by the URL syntax
/// Apprise documents. The URLs reach it in its environment (`APPRISE_URLS`), never its
/// arguments; what it prints is reduced to its warning and error lines with every URL cut to
/// its scheme, so no token or password reaches a log.
public struct AppriseSender: Sendable {
    public let program: String
    let urls: Secret
    /// One attempt's bound: a receiver that hangs is given up on, and retried later.
    public var timeout: Duration = .seconds(60)

    /// - Throws: ``ConfigurationError`` (`NOTIFY_URLS`) when `apprise` is not installed.
    public init(urls: Secret, program: String? = nil) throws(ConfigurationError) {
        guard let found = program ?? Self.find() else {
            throw ConfigurationError(variable: "NOTIFY_URLS", problem: "is set but the apprise program is not installed; install Debian's apprise package (the image has it)")
        }
        self.program = found
        self.urls = urls
    }

    static func find() -> String? { PostgresTools().find("apprise") }

    /// Sends `notification` to every URL. Throws ``DeliveryError`` (one line, no URL) when Apprise
    /// reports a failure or takes longer than ``timeout``.
    public func send(_ notification: Notification) async throws {
        var apprise = ChildProcess(program, ["-v", "-t", notification.title, "-b", notification.body, "-n", notification.kind.rawValue])
        apprise.secretEnvironment = ["APPRISE_URLS": urls]
        apprise.gracePeriod = .seconds(2)
        let child = apprise
        let bound = timeout
        // Apprise logs its reasons to standard output.
        let printed = OutputCollector(limit: 64 * 1024)
        do {
            try await withDeadline(bound, expired: {
                DeliveryError("apprise gave no answer within \(bound.components.seconds) s (a receiver that does not answer?)")
            }) {
                _ = try await child.run(onOutput: { printed.append($0) })
            }
        } catch let error as ChildProcessError {
            throw DeliveryError("apprise could not deliver: \(Self.reason(printed.text + "\n" + error.stderr))")
        }
    }

    /// Checks each URL with `apprise --dry-run` (Apprise's own parser; nothing is sent).
    /// - Throws: ``ConfigurationError`` naming `NOTIFY_URLS` and which URL (by number and
    ///   scheme only) Apprise cannot use.
    public static func validate(_ settings: NotifySettings, program: String? = nil) async throws(ConfigurationError) {
        let list = settings.urlList
        guard !list.isEmpty, let urls = settings.urls else { return }
        let sender = try AppriseSender(urls: urls, program: program)
        for (index, url) in list.enumerated() {
            var dryRun = ChildProcess(sender.program, ["--dry-run"])
            dryRun.secretEnvironment = ["APPRISE_URLS": Secret(url)]
            let printed = OutputCollector(limit: 64 * 1024)
            let said: String
            do {
                said = printed.text + (try await dryRun.run(onOutput: { printed.append($0) }))
            } catch let error as ChildProcessError {
                said = printed.text + error.stderr
                if said.isEmpty { throw ConfigurationError(variable: "NOTIFY_URLS", problem: "URL \(index + 1) of \(list.count) was rejected by apprise --dry-run (\(error.status ?? "did not start"))") }
            } catch {
                said = "\(error)"
            }
            if said.contains("ERROR") {
                let scheme = url.contains("://") ? redactingURLs(url) : "(no scheme://)"
                throw ConfigurationError(variable: "NOTIFY_URLS", problem: "URL \(index + 1) of \(list.count) (\(scheme)) is not one Apprise can use: \(reason(said)); see Apprise's list of services for the syntax")
            }
        }
    }

    /// Apprise's warning and error lines, without their time stamps, every `scheme://…` cut to
    /// its scheme, joined into one line.
    static func reason(_ stderr: String) -> String {
        let lines = stderr.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            for level in [" - ERROR - ", " - WARNING - "] {
                if let range = line.range(of: level) { return String(line[range.upperBound...]) }
            }
            return nil
        }
        let text = (lines.isEmpty ? ["no reason given"] : Array(lines.prefix(3))).joined(separator: "; ")
        return redactingURLs(text)
    }
}

/// A notification or ping that did not arrive, as one line without any URL.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

