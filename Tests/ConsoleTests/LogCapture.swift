import Foundation
import LaterbaseCore
import Logging
import Synchronization

/// A swift-log handler that keeps every line in memory (``LineLogHandler``'s text format), so an
/// in-process test can read what the agent logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func logger(label: String = "backup-agent") -> Logger {
        Logger(label: label) { label in Handler(label: label, capture: self) }
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append(LineLogHandler.render(format: .text, time: Date(), level: event.level, label: label,
                                                 message: event.message.description, metadata: merged))
        }
    }
}
