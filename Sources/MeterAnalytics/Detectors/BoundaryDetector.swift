import MeterCore

/// Boundaries: a breach of a configured limit (max demand per interval, min base load) or of a
/// learned one (several times the largest daily peak of the last week; for a gauge-like series, its
/// `OperatingEnvelope`).
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
        /// The learned operating band of a series that never comes near zero.
        public var envelope = OperatingEnvelope.Config()
        public init() {}
    }

    @SharedSettings public var config: Config
    private var peaks: RingBuffer
    private var day: Int64 = .min
    private var dayPeak = 0.0
    /// The learned limit, worked out as each day's peak is added (nil until `days` are known).
    private var learned: Double?
    var envelope: OperatingEnvelope

    public init(config: Config = Config()) {
        self.config = config
        peaks = RingBuffer(capacity: config.days)
        if config.days <= 0 { learned = max(config.learnedFloor, 0) }
        envelope = OperatingEnvelope(config: config.envelope)
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        guard o.value.isFinite else { return }
        let before = out.count
        limits(o, into: &out)
        envelope.observe(o, into: &out, opening: out.count == before)
    }

    /// The configured limits and the learned max demand, judged one value at a time.
    private mutating func limits(_ o: Observation, into out: inout [Anomaly]) {
        let d = CivilDate.floorDiv(o.start, 86_400)
        if d != day {
            if day != .min, dayPeak > 0 {
                peaks.append(dayPeak)
                if peaks.count >= config.days { learned = max(config.learnedFloor, (peaks.values.max() ?? 0) * config.learnedFactor) }
            }
            day = d
            dayPeak = 0
        }
        let limit = switch (config.maxKwh, learned) {
        case let (c?, l?): min(c, l)
        case let (c, l): c ?? l
        }
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

    public var current: Anomaly? { envelope.current }

    public mutating func finish(into out: inout [Anomaly]) { envelope.finish(into: &out) }
}
