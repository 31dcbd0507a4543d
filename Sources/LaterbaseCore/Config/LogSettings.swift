import Foundation
import Logging

/// `LOG_FORMAT` (text|json) and `LOG_LEVEL` (trace … critical, default info).
public struct LogSettings: Sendable, Equatable {
    public enum Format: String, Sendable { case text, json }

    public var format: Format
    public var level: Logger.Level

    public init(format: Format = .text, level: Logger.Level = .info) {
        self.format = format
        self.level = level
    }

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        format = Format(rawValue: try env.choice("LOG_FORMAT", ["text", "json"], default: "text"))!
        let levels = Logger.Level.allCases.map(\.rawValue)
        level = Logger.Level(rawValue: try env.choice("LOG_LEVEL", levels, default: "info"))!
    }
}
