import ArgumentParser
import Foundation
import LaterbaseCore
import Notify

/// `backup-agent notify-test`: one test notification to every `NOTIFY_URLS` target, now, waiting
/// for Apprise's answer: exit 0 when it was delivered, 1 with Apprise's reason (no URL) when not,
/// 78 when `NOTIFY_URLS` is unset or malformed. `PING_URL` is not pinged: a test ping would tell
/// the monitor a pass succeeded.
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notify-test", abstract: "Send a test notification to NOTIFY_URLS and wait for the answer.")

    func run() async throws {
        try await CommandErrors.reporting {
            let settings = try NotifySettings(environment: EnvironmentReader())
            guard let urls = settings.urls else {
                throw ConfigurationError(variable: "NOTIFY_URLS", problem: "is not set; set it to one or more Apprise URLs (mailtos://…, slack://…, json://…) to be told when backups fail")
            }
            try await AppriseSender.validate(settings)
            let host = ProcessInfo.processInfo.hostName
            try await AppriseSender(urls: urls).send(Notification(
                title: "Laterbase: test notification",
                body: "backup-agent on \(host) can reach you: this is where you will be told when a backup fails, and when it works again.",
                kind: .info))
            print("test notification delivered to \(settings.urlList.count) target(s)")
        }
    }
}
