import Foundation
import LaterbaseCore

/// Settings of the first clone beyond ``StandbySettings``, read from the environment:
///
/// - `STANDBY_CLONE_RETRY_SECONDS` (default 300, a duration): how long a first boot keeps
///   retrying a primary that does not answer before it gives up with exit status 1.
/// - `STANDBY_CLONE_MAX_RATE` (default unlimited): `pg_basebackup --max-rate`, e.g. `50M` or
///   `800k`, to spare the Resolve server's disks and network during the clone.
public struct StandbyCloneOptions: Sendable, Equatable {
    public var retrySeconds: Int
    /// Kilobytes per second, nil for no limit.
    public var maxRateKB: Int?
    /// Seconds between progress lines in the log.
    public var progressIntervalSeconds: Int = 5

    public init(retrySeconds: Int = 300, maxRateKB: Int? = nil) {
        self.retrySeconds = retrySeconds
        self.maxRateKB = maxRateKB
    }

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        retrySeconds = try env.duration("STANDBY_CLONE_RETRY_SECONDS", default: 300)
        maxRateKB = nil
        if let (name, text) = env.raw(["STANDBY_CLONE_MAX_RATE"]) {
            guard let rate = Self.parseRate(text) else {
                throw ConfigurationError(variable: name, problem: "must be a rate from 32k to 1024M such as 800k or 50M, got \"\(text)\"")
            }
            maxRateKB = rate
        }
    }

    /// `800k` → 800, `50M` → 51200, `100` → 100 (kB/s); nil outside pg_basebackup's 32 kB/s–1 GB/s.
    public static func parseRate(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var factor = 1
        switch digits.last {
        case "k", "K": digits = digits.dropLast()
        case "m", "M": factor = 1024; digits = digits.dropLast()
        default: break
        }
        guard let value = Int(digits) else { return nil }
        let rate = value * factor
        return (32...1_048_576).contains(rate) ? rate : nil
    }
}
