import MeterCore

/// Communication gaps: readings that stopped arriving for a while (measured readings; estimates
/// that filled the gap do not count as arrivals). This detector reports a gap when the meter's
/// readings resume; `DetectorSet` opens the same event while the meter is still silent, from the
/// fleet's clock, so a meter that stops reporting is seen before it comes back.
public struct CommunicationGapDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Missing intervals in a row that make a gap (4 half hours: 2 hours).
        public var minMissing = 4
        public init() {}
    }

    @SharedSettings public var config: Config
    private var last: Int64?

    public init(config: Config = Config()) { self.config = config }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        defer { last = max(last ?? o.start, o.start) }
        guard let l = last, o.start > l, Self.missing(after: l, before: o.start, interval: o.interval) >= config.minMissing else { return }
        out.append(Self.gap(meter: o.meter, source: o.source, after: l, until: o.start, interval: o.interval, detectedAt: o.start, open: false))
    }

    /// Intervals without a reading between the one starting at `last` and `now`.
    public static func missing(after last: Int64, before now: Int64, interval: Int64) -> Int64 { (now - last) / max(1, interval) - 1 }

    /// The gap after the reading starting at `last`, up to `until` (its end, or how far it reaches
    /// so far while `open`): one event, whoever reports it, so a silence seen while it lasts is the
    /// gap the meter's return closes.
    public static func gap(meter: MeterID?, source: SourceID?, after last: Int64, until: Int64, interval: Int64, detectedAt: Int64,
                           open: Bool) -> Anomaly {
        let missing = missing(after: last, before: until, interval: interval)
        let hours = Double(missing) * Double(interval) / 3600
        let who = meter == nil ? "readings from any meter of source \(source?.rawValue ?? "-")" : "a reading"
        return Anomaly(kind: .communicationGap, meter: meter, source: source, start: last + interval, end: until, detectedAt: detectedAt,
                       severity: hours >= 24 ? .critical : hours >= 6 ? .warning : .info, score: hours, expected: 0, observed: Double(missing),
                       detail: "\(missing) intervals (\(hours) h) without \(who)\(open ? " so far" : "")", open: open)
    }

    /// A silence that ended without a gap: the readings came late, none missing (a gateway that
    /// uploads in bursts, a link that queued). Closed at `until`, the fleet's time when they came.
    public static func late(_ silence: Anomaly, until: Int64) -> Anomaly {
        var a = silence
        a.open = false
        a.end = max(until, a.start)
        a.score = Double(a.end - a.start) / 3600
        a.observed = 0
        a.severity = .info
        let who = a.meter == nil ? "readings from source \(a.source?.rawValue ?? "-")" : "its readings"
        a.detail = "\(who) came \(FixedDecimal.format(a.score, places: 1)) h behind the fleet, none missing"
        return a
    }
}
