import MeterCore

/// Level shifts: a lasting change of a meter's daily consumption against its own recent
/// median (a new occupant, a heat pump, a failing element), reported once it has lasted a few days.
public struct LevelShiftDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Daily totals remembered for the baseline (and needed before judging).
        public var days = 14
        /// A day this many times the baseline, or this share of it, is shifted.
        public var upRatio = 1.8
        public var downRatio = 0.45
        /// Shifted days in a row that make a level shift.
        public var minDays = 3
        public init() {}
    }

    @SharedSettings public var config: Config
    private var totals: RingBuffer
    private var day: Int64 = .min
    private var dayTotal = 0.0
    private var dayCount = 0
    private var run: [(day: Int64, total: Double)] = []
    private var runUp = true
    /// The event open, if any (kept behind a pointer: `Rare`).
    private var open: Anomaly? {
        get { openEvent.value }
        set { openEvent.value = newValue }
    }
    private var openEvent = Rare<Anomaly>()
    private var interval: Int64 = 1800

    public init(config: Config = Config()) {
        self.config = config
        totals = RingBuffer(capacity: config.days)
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        guard o.value.isFinite else { return }
        interval = o.interval
        let d = CivilDate.floorDiv(o.start, 86_400)
        if d != day {
            if day != .min { closeDay(o, into: &out) }
            day = d
            dayTotal = 0
            dayCount = 0
        }
        dayTotal += o.value
        dayCount += 1
    }

    private mutating func closeDay(_ o: Observation, into out: inout [Anomaly]) {
        // Days with many missing intervals say nothing about the level.
        guard dayCount * Int(interval) >= 86_400 * 8 / 10 else { return }
        defer { if !openEvent.isSet { totals.append(dayTotal) } }
        guard totals.count >= config.days / 2 else { return }
        let base = totals.medianAndMAD().median
        guard base > 0 else { return }
        let ratio = dayTotal / base
        let shifted = ratio >= config.upRatio ? 1 : ratio <= config.downRatio ? -1 : 0
        if var a = open {
            if shifted != 0 && (shifted > 0) == runUp {
                a.end = (day + 1) * 86_400
                a.observed = (a.observed * Double(run.count) + dayTotal) / Double(run.count + 1)
                run.append((day, dayTotal))
                open = a
            } else {
                a.open = false
                out.append(described(a))
                open = nil
                run = []
            }
            return
        }
        if shifted == 0 { run = []; return }
        if !run.isEmpty && (shifted > 0) != runUp { run = [] }
        runUp = shifted > 0
        run.append((day, dayTotal))
        if run.count >= config.minDays, let first = run.first {
            let mean = run.reduce(0) { $0 + $1.total } / Double(run.count)
            let a = Anomaly(kind: .levelShift, meter: o.meter, source: o.source, start: first.day * 86_400, end: (day + 1) * 86_400,
                            detectedAt: o.start, severity: .warning, score: mean / base, expected: base, observed: mean, detail: "", open: true)
            open = a
            out.append(described(a))
        }
    }

    /// The event with its score and description as of the days in its run.
    private func described(_ a: Anomaly) -> Anomaly {
        var a = a
        a.score = a.observed / max(a.expected, 1e-9)
        a.detail = String(format: "daily consumption %@ to %.2f kWh from a usual %.2f kWh for %d days",
                          a.observed >= a.expected ? "up" : "down", a.observed, a.expected, run.count)
        return a
    }

    public var current: Anomaly? { open.map(described) }

    public mutating func finish(into out: inout [Anomaly]) {
        if let a = open.take() { out.append(described(a.closed)) }
    }
}
