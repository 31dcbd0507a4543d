extension Duration {
    /// The duration in seconds, fractions included (for figures and records: `12.3`).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
