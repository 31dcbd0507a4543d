import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4), enough to check what the
/// console serves: `# HELP`/`# TYPE` comments with a known type, then `name{labels} value` samples.
enum PrometheusText {
    struct FormatError: Error, CustomStringConvertible { let description: String }

    /// Samples by `name{labels}` exactly as written (`name` alone without labels).
    static func parse(_ text: String) throws -> [String: Double] {
        let sample = try Regex(#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$"#)
        var samples: [String: Double] = [:]
        var typed: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw FormatError(description: "bad TYPE line: \(line)")
                }
                typed.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let match = try sample.wholeMatch(in: String(line)) else { throw FormatError(description: "not a sample: \(line)") }
            let name = String(match.output[1].substring!)
            guard typed.contains(name) else { throw FormatError(description: "\(name) has no TYPE line before it") }
            let value = String(match.output[7].substring!)
            let key = String(line[..<line.lastIndex(of: " ")!])
            samples[key] = Double(value)
        }
        return samples
    }
}
