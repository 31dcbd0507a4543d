import Foundation
import Logging
import SystemPackage

/// A swift-log handler that writes one line per event to standard output, as text
/// (`2026-11-24T15:00:00.123Z info backup finished db=Resolve`) or as one JSON object.
/// Each line goes out in a single `write(2)`, so lines from concurrent tasks never interleave.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogSettings.Format
    private let descriptor: Int32

    public init(label: String, settings: LogSettings, descriptor: Int32 = STDOUT_FILENO) {
        self.label = label
        self.format = settings.format
        self.logLevel = settings.level
        self.descriptor = descriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.render(format: format, time: Date(), level: event.level, label: label,
                               message: event.message.description, metadata: merged)
        // A log line that cannot be written (stdout closed) is dropped; logging never fails the work.
        _ = try? Array((line + "\n").utf8).withUnsafeBytes { try FileDescriptor(rawValue: descriptor).writeAll($0) }
    }

    /// The line for one event, without the newline. Pure, for tests.
    public static func render(format: LogSettings.Format, time: Date, level: Logger.Level, label: String,
                              message: String, metadata: Logger.Metadata) -> String {
        let stamp = time.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        let flatMessage = message.replacingOccurrences(of: "\n", with: " ")
        switch format {
        case .text:
            let pairs = metadata.sorted { $0.key < $1.key }.map { key, value in
                let text = "\(value)"
                let needsQuotes = text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
                return "\(key)=\(needsQuotes ? Self.jsonString(text) : text.replacingOccurrences(of: "\n", with: " "))"
            }
            return ([stamp, level.rawValue, flatMessage] + pairs).joined(separator: " ")
        case .json:
            var fields: [(String, String)] = [("time", stamp), ("level", level.rawValue), ("logger", label), ("message", message)]
            fields += metadata.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
            return "{" + fields.map { "\(Self.jsonString($0.0)):\(Self.jsonString($0.1))" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal for `text`.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Process-wide logging setup, called once by each executable's entry point.
public enum LoggingSetup {
    /// Routes swift-log to ``LineLogHandler`` on standard output, or standard error for commands
    /// whose standard output is their answer.
    public static func bootstrap(_ settings: LogSettings, toStandardError: Bool = false) {
        let descriptor = toStandardError ? STDERR_FILENO : STDOUT_FILENO
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, settings: settings, descriptor: descriptor) }
    }
}
