import MeterCore

/// Empty slots of a meter, between two values it has, that wait for late readings before they are
/// estimated (`VEEConfig.estimationDelay`). Every slot strictly between `before` and `after` is empty.
public struct OpenGap: Sendable, Hashable {
    public var before: SeriesAnchor
    public var after: SeriesAnchor

    public init(before: SeriesAnchor, after: SeriesAnchor) {
        self.before = before
        self.after = after
    }

    /// Whether a slot lies inside the gap.
    func contains(_ start: Int64) -> Bool { before.start < start && start < after.start }
}

/// The gaps each interval meter has waiting: the live pipeline keeps them between batches, and VEE
/// reads and updates them (`RuleSet.run(_:sink:kind:anchor:waiting:)`). Most meters have none, and
/// while none has, a batch does not look them up at all.
public struct OpenGaps: Sendable {
    var byMeter: [MeterID: [OpenGap]] = [:]

    public init() {}

    public var isEmpty: Bool { byMeter.isEmpty }
    /// Meters with gaps waiting.
    public var meters: Int { byMeter.count }
    public subscript(meter: MeterID) -> [OpenGap] {
        get { byMeter[meter] ?? [] }
        set { byMeter[meter] = newValue.isEmpty ? nil : newValue }
    }

    /// A meter's gaps, forgotten (its series continues from nothing, or from the store).
    public mutating func forget(_ meter: MeterID) {
        if !byMeter.isEmpty { byMeter[meter] = nil }
    }
}
