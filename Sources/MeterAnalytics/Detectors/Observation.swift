import Foundation
import MeterCore

/// One reading as the detectors see it: whose, when, how much, and where it falls in the day and week
/// (local time of the meter's zone).
public struct Observation: Sendable {
    public var meter: MeterID
    public var source: SourceID?
    public var start: Int64
    public private(set) var value: Double
    /// Interval length in seconds.
    public var interval: Int64
    /// The interval's index in its local day (0 ..< 86400 / interval).
    public var slotOfDay: Int
    /// Saturday or Sunday, local.
    public var weekend: Bool
    /// `log(max(0, value) + logEpsilon)`: the log-space value the time-of-day profiles learn and judge,
    /// and the base-10 log of a positive value (0 otherwise), the scale of the value sketches; each
    /// worked out once for all the detectors that read it.
    public private(set) var logValue: Double
    public private(set) var log10Value: Double
    /// Added before taking `logValue`, so zero has a log.
    public static let logEpsilon = 0.02

    public init(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64, slotOfDay: Int, weekend: Bool) {
        self.init(meter: meter, source: source, start: start, value: value, interval: interval, slotOfDay: slotOfDay, weekend: weekend,
                  log10Value: Self.log10(value))
    }

    /// With the value's `log10(_:)` worked out already (a batch works it out once for its prefetch too).
    init(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64, slotOfDay: Int, weekend: Bool, log10Value: Double) {
        self.meter = meter
        self.source = source
        self.start = start
        self.value = value
        self.interval = interval
        self.slotOfDay = slotOfDay
        self.weekend = weekend
        logValue = Self.log(value, epsilon: Self.logEpsilon)
        self.log10Value = log10Value
    }

    /// The base-10 log of a positive value, 0 for any other: the value sketches' scale.
    static func log10(_ value: Double) -> Double { value > 0 ? Foundation.log10(value) : 0 }

    /// `log(max(0, value) + epsilon)`, from `logValue` when the epsilon is the usual one.
    public func logValue(epsilon: Double) -> Double {
        epsilon == Self.logEpsilon ? logValue : Self.log(value, epsilon: epsilon)
    }

    private static func log(_ value: Double, epsilon: Double) -> Double { Foundation.log(Swift.max(0, value) + epsilon) }
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
