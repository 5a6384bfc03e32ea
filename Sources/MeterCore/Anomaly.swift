/// What kind of thing went wrong.
public enum AnomalyKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// A value far above what this meter does at this time of day and week.
    case spike
    /// A value far below it.
    case valley
    /// A breach of a configured or learned limit (max demand, min base load).
    case boundary
    /// The same or near-same value for longer than a meter holds it: the tamper signature.
    case flatline
    /// Consumption at zero where this meter never is.
    case zeroRun = "zero_run"
    /// Many meters of one source at zero together: one source-level event.
    case outage
    /// A register that went backwards by less than a rollover.
    case registerReversal = "register_reversal"
    /// A register that fell to (near) zero: replaced or reset.
    case registerReset = "register_reset"
    /// A lasting change of the daily level.
    case levelShift = "level_shift"
    /// Readings stopped arriving for a while.
    case communicationGap = "communication_gap"
    /// Extremes coming far closer together than this meter has ever had them.
    case spikeBurst = "spike_burst"
}

public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    case info, warning, critical

    var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One anomaly, with what an operator needs to judge it in one look: where, when, how bad, and
/// what was expected against what was seen.
public struct Anomaly: Sendable, Hashable, Codable {
    public var kind: AnomalyKind
    /// The meter, or nil for a source-level event.
    public var meter: MeterID?
    public var source: SourceID?
    /// First affected interval start and the end (exclusive), UTC epoch seconds.
    public var start: Int64
    public var end: Int64
    /// When the detector knew (the reading time at which it fired): `detectedAt - start` is the delay.
    public var detectedAt: Int64
    public var severity: Severity
    /// How far from normal, in the detector's own units (robust z, hours, share of meters).
    public var score: Double
    public var expected: Double
    public var observed: Double
    public var detail: String
    /// Still going on when last reported.
    public var open: Bool

    public init(kind: AnomalyKind, meter: MeterID?, source: SourceID?, start: Int64, end: Int64, detectedAt: Int64,
                severity: Severity, score: Double, expected: Double, observed: Double, detail: String, open: Bool = false) {
        self.kind = kind
        self.meter = meter
        self.source = source
        self.start = start
        self.end = end
        self.detectedAt = detectedAt
        self.severity = severity
        self.score = score
        self.expected = expected
        self.observed = observed
        self.detail = detail
        self.open = open
    }

    /// Stable identity of an event across its open and closed reports.
    public var id: String { "\(kind.rawValue):\(meter?.rawValue ?? source?.rawValue ?? "-"):\(start)" }

    /// The same event, no longer open (its closing report, once described).
    public var closed: Anomaly {
        var a = self
        a.open = false
        return a
    }
}
