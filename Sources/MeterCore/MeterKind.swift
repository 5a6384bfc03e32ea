/// How a meter reports energy.
public enum MeterKind: String, Sendable, Codable, CaseIterable {
    /// Each value is the energy of its own interval.
    case interval
    /// Each value is a cumulative register (kWh since installation); intervals are differences.
    case register
}

/// A meter as the estate knows it.
public struct Meter: Hashable, Sendable, Codable {
    public var id: MeterID
    public var source: SourceID
    public var kind: MeterKind
    public var interval: IntervalLength

    public init(id: MeterID, source: SourceID, kind: MeterKind = .interval, interval: IntervalLength = .halfHour) {
        self.id = id
        self.source = source
        self.kind = kind
        self.interval = interval
    }
}
