import MeterCore

/// Boundaries: a breach of a configured limit (max demand per interval, min base load) or of a
/// learned one (several times the largest daily peak of the last week).
public struct BoundaryDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Configured largest credible value of one interval (kWh); nil to rely on the learned limit.
        public var maxKwh: Double?
        /// Configured least base load of one interval (kWh), checked on non-zero values; nil for none.
        public var minKwh: Double?
        /// The learned limit is this many times the largest daily peak of the last days.
        public var learnedFactor = 4.0
        /// Smallest learned limit (kWh per interval): a meter at zero all week has learned nothing.
        public var learnedFloor = 1.0
        /// Days of peaks remembered (and needed before the learned limit applies).
        public var days = 7
        public init() {}
    }

    public var config: Config
    private var peaks: RingBuffer
    private var day: Int64 = .min
    private var dayPeak = 0.0

    public init(config: Config = Config()) {
        self.config = config
        peaks = RingBuffer(capacity: config.days)
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        guard o.value.isFinite else { return }
        let d = CivilDate.floorDiv(o.start, 86_400)
        if d != day {
            if day != .min, dayPeak > 0 { peaks.append(dayPeak) }
            day = d
            dayPeak = 0
        }
        let learned = peaks.count >= config.days ? max(config.learnedFloor, (peaks.values.max() ?? 0) * config.learnedFactor) : nil
        let limit = [config.maxKwh, learned].compactMap { $0 }.min()
        if let limit, o.value > limit {
            out.append(Anomaly(kind: .boundary, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval, detectedAt: o.start,
                               severity: config.maxKwh.map { o.value > $0 } == true ? .critical : .warning, score: o.value / limit,
                               expected: limit, observed: o.value,
                               detail: "above the \(limit == config.maxKwh ? "configured" : "learned") max demand of \(limit) kWh per interval"))
            return
        }
        if let floor = config.minKwh, o.value > 0, o.value < floor {
            out.append(Anomaly(kind: .boundary, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval, detectedAt: o.start,
                               severity: .info, score: o.value / floor, expected: floor, observed: o.value,
                               detail: "below the configured base load of \(floor) kWh per interval"))
        }
        dayPeak = max(dayPeak, o.value)
    }
}
