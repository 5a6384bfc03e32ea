import MeterCore

/// One reading as the detectors see it: whose, when, how much, and where it falls in the day and week
/// (local time of the meter's zone).
public struct Observation: Sendable {
    public var meter: MeterID
    public var source: SourceID?
    public var start: Int64
    public var value: Double
    /// Interval length in seconds.
    public var interval: Int64
    /// The interval's index in its local day (0 ..< 86400 / interval).
    public var slotOfDay: Int
    /// Saturday or Sunday, local.
    public var weekend: Bool

    public init(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64, slotOfDay: Int, weekend: Bool) {
        self.meter = meter
        self.source = source
        self.start = start
        self.value = value
        self.interval = interval
        self.slotOfDay = slotOfDay
        self.weekend = weekend
    }
}

/// A detector of one meter's series: fed its readings in time order, with state bounded per meter,
/// usable one reading at a time in the engine's hot path or over a stored history.
public protocol MeterDetector: Sendable {
    /// Reports anomalies that this reading reveals (or opens, or closes).
    mutating func observe(_ o: Observation, into out: inout [Anomaly])
    /// Closes whatever is still open at the end of the input.
    mutating func finish(into out: inout [Anomaly])
    /// The event this detector has open, as it stands after the latest reading: its end, score,
    /// severity and description brought up to date (an event is reported when it opens and when it
    /// closes; this is how it is shown in between). Nil when nothing is open.
    var current: Anomaly? { get }
}

extension MeterDetector {
    public mutating func finish(into out: inout [Anomaly]) {}
    public var current: Anomaly? { nil }
}
