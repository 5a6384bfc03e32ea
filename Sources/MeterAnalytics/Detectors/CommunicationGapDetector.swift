import MeterCore

/// Communication gaps: readings that stopped arriving for a while (measured readings; estimates
/// that filled the gap do not count as arrivals).
public struct CommunicationGapDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Missing intervals in a row that make a gap (4 half hours: 2 hours).
        public var minMissing = 4
        public init() {}
    }

    public var config: Config
    private var last: Int64?

    public init(config: Config = Config()) { self.config = config }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        defer { last = max(last ?? o.start, o.start) }
        guard let l = last, o.start > l else { return }
        let missing = (o.start - l) / o.interval - 1
        guard missing >= config.minMissing else { return }
        let hours = Double(missing) * Double(o.interval) / 3600
        out.append(Anomaly(kind: .communicationGap, meter: o.meter, source: o.source, start: l + o.interval, end: o.start, detectedAt: o.start,
                           severity: hours >= 24 ? .critical : hours >= 6 ? .warning : .info, score: hours, expected: 0, observed: Double(missing),
                           detail: "\(missing) intervals (\(hours) h) without a reading"))
    }
}
