import MeterCore

/// Zero runs: consumption at zero for several intervals on a meter that is rarely at zero. The
/// event opens once the run is long enough and closes at the first non-zero value. A meter whose
/// history has runs of zeros of its own (a vacant property, an export channel) does not alarm.
public struct ZeroRunDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Zero readings in a row that make a run (4 half hours: 2 hours).
        public var minRun = 4
        /// A meter zero more often than this share of the time is not expected to be non-zero.
        public var maxZeroShare = 0.05
        /// A meter that has had this many runs of its own is not expected to be non-zero.
        public var maxPastRuns = 2
        public init() {}
    }

    @SharedSettings public var config: Config
    private var runStart: Int64?
    private var runLength = 0
    /// The event open, if any (kept behind a pointer: `Rare`).
    private var open: Anomaly? {
        get { openEvent.value }
        set { openEvent.value = newValue }
    }
    private var openEvent = Rare<Anomaly>()
    private var zeroShare = 0.0
    private var seen = 0
    private var typical = 0.0
    /// Runs this meter has had (long enough to alarm), decayed slowly.
    private var pastRuns = 0.0

    public init(config: Config = Config()) { self.config = config }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        guard o.value.isFinite else { return }
        let isZero = o.value <= 0
        if isZero {
            if runStart == nil { runStart = o.start; runLength = 0 }
            runLength += 1
            if runLength == config.minRun { pastRuns += 1 }
            if let s = runStart, !openEvent.isSet, runLength >= config.minRun, seen >= 48, zeroShare <= config.maxZeroShare,
               pastRuns <= Double(config.maxPastRuns) + 1 {
                let a = Anomaly(kind: .zeroRun, meter: o.meter, source: o.source, start: s, end: o.start + o.interval, detectedAt: o.start,
                                severity: .warning, score: Double(runLength) * Double(o.interval) / 3600, expected: typical, observed: 0,
                                detail: "zero for \(runLength) intervals on a meter that is at zero \(Int(zeroShare * 1000) / 10)% of the time", open: true)
                open = a
                out.append(a)
            } else if openEvent.isSet, var a = open {
                a.end = o.start + o.interval
                open = a
            }
        } else {
            if openEvent.isSet, var a = open {
                a.open = false
                out.append(described(a))
                open = nil
            }
            runStart = nil
            runLength = 0
            typical = seen == 0 ? o.value : 0.99 * typical + 0.01 * o.value
        }
        seen += 1
        pastRuns *= 0.99995
        // The share excludes the current run so a long run does not excuse itself.
        if !isZero || runLength <= 1 { zeroShare += ((isZero ? 1 : 0) - zeroShare) / Double(min(seen, 2000)) }
    }

    private func described(_ a: Anomaly) -> Anomaly {
        var a = a
        a.score = Double(a.end - a.start) / 3600
        a.detail = "zero for \(FixedDecimal.format(a.score, places: 1)) h on a meter that is at zero \(Int(zeroShare * 1000) / 10)% of the time"
        return a
    }

    public var current: Anomaly? { open.map(described) }

    public mutating func finish(into out: inout [Anomaly]) {
        if let a = open.take() { out.append(described(a.closed)) }
    }
}
