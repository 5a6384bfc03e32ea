extension Duration {
    /// The duration in seconds, as metrics, summaries and progress lines report it.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
