import Foundation
import MeterCore

/// The band a gauge-like meter works in, learned from its whole history, and the excursions out of
/// it. A series that never comes near zero (a temperature, a voltage, a pressure, a site with a
/// large base load) moves within its 1st to 99th percentile; a value beyond that band by a quarter
/// of its width breaches a learned limit, at either end. Energy series that start from zero with a
/// long upper tail (a household, most meters) have no such band: their 1st percentile is under a
/// fifth of their 99th, and the envelope stays silent for them (their limits are the learned max
/// demand); so does a series whose band spans zero (a net meter), whose scale says nothing. One event per excursion: it opens at the first value past the limit, stays open while
/// the values stay outside the band, and closes when one comes back in. Values outside the band are
/// not learned during the first week of an excursion, so a failure that drifts slowly cannot teach
/// the envelope its own values; a change that lasts longer becomes the meter's new normal.
public struct OperatingEnvelope: Sendable {
    public struct Config: Sendable, Hashable {
        /// The band's percentiles (low; the high one is its complement).
        public var percentile = 0.01
        /// How far past the band a value must lie, as a share of the band's width.
        public var margin = 0.25
        /// The least ratio of the low percentile to the high one for a series to have a band.
        public var gaugeRatio = 0.2
        /// History needed before judging, seconds.
        public var learning: Int64 = 28 * 86_400
        /// After this long outside, values are learned again, seconds.
        public var adaptAfter: Int64 = 7 * 86_400
        public init() {}
    }

    /// What the envelope has learned, apart from any excursion open: what a store keeps across
    /// restarts, as the band describes all a meter has read and the weeks a restarted process
    /// replays from the store (or an archived store keeps at all) would give a narrower one.
    public struct Learned: Sendable, Hashable {
        /// The first reading's start, and the latest learned.
        public var first: Int64
        public var through: Int64
        /// The two estimators' states (`StreamingQuantile.state`).
        public var low: [Double]
        public var high: [Double]

        public init(first: Int64, through: Int64, low: [Double], high: [Double]) {
            self.first = first
            self.through = through
            self.low = low
            self.high = high
        }

        /// A fixed little-endian layout: a version byte, the two times, the 22 numbers.
        public var bytes: [UInt8] {
            var out: [UInt8] = [1]
            out.reserveCapacity(1 + 16 + 22 * 8)
            for t in [first, through] { withUnsafeBytes(of: t.littleEndian) { out += $0 } }
            for v in low + high { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
            return out
        }

        /// Reads `bytes`; nil for anything else.
        public init?(bytes: [UInt8]) {
            guard bytes.count == 1 + 16 + 22 * 8, bytes[0] == 1 else { return nil }
            func word(_ k: Int) -> UInt64 {
                var w: UInt64 = 0
                for b in 0..<8 { w |= UInt64(bytes[1 + 8 * k + b]) << (8 * b) }
                return w
            }
            let numbers = (0..<22).map { Double(bitPattern: word(2 + $0)) }
            self.init(first: Int64(bitPattern: word(0)), through: Int64(bitPattern: word(1)),
                      low: Array(numbers[0..<11]), high: Array(numbers[11..<22]))
        }
    }

    @SharedSettings public var config: Config
    private var low: StreamingQuantile
    private var high: StreamingQuantile
    private var first: Int64 = .min
    private var through: Int64 = .min
    /// The event open, if any (kept behind a pointer: `Rare`).
    private var open: Anomaly? {
        get { openEvent.value }
        set { openEvent.value = newValue }
    }
    private var openEvent = Rare<Anomaly>()

    public init(config: Config = Config()) {
        self.config = config
        low = StreamingQuantile(config.percentile)
        high = StreamingQuantile(1 - config.percentile)
    }

    /// What it has learned; nil before its first value.
    public var learned: Learned? {
        first == .min ? nil : Learned(first: first, through: through, low: low.state, high: high.state)
    }

    /// Continues from what an earlier process learned. Values not later than the latest it learned
    /// are still judged (a replay reopens an excursion that was open) but not learned again.
    public mutating func restore(_ l: Learned) {
        first = l.first
        through = l.through
        low = StreamingQuantile(config.percentile, state: l.low)
        high = StreamingQuantile(1 - config.percentile, state: l.high)
    }

    /// The band and its limits, once learned and when the series has one.
    public var limits: (band: ClosedRange<Double>, low: Double, high: Double)? {
        guard let lo = low.value, let hi = high.value, hi > lo, lo > 0 ? lo >= config.gaugeRatio * hi : hi < 0 && hi <= config.gaugeRatio * lo else { return nil }
        let m = config.margin * (hi - lo)
        return (lo...hi, lo - m, hi + m)
    }

    /// Judges and learns a value; `opening` false when the value's breach is reported already (by
    /// another limit), so no excursion opens at it.
    public mutating func observe(_ o: Observation, into out: inout [Anomaly], opening: Bool = true) {
        guard o.value.isFinite else { return }
        if first == .min { first = o.start }
        let judged = o.start - first >= config.learning ? limits : nil
        if openEvent.isSet, var a = open {
            if let judged, !judged.band.contains(o.value) {
                a.end = o.start + o.interval
                if abs(o.value - a.expected) > abs(a.observed - a.expected) { a.observed = o.value }
                open = a
                if o.start - a.start < config.adaptAfter { return }
            } else {
                out.append(described(a.closed))
                open = nil
            }
        } else if opening, let judged, o.value > judged.high || o.value < judged.low {
            let up = o.value > judged.high
            let a = Anomaly(kind: .boundary, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval, detectedAt: o.start,
                            severity: .warning, score: 0, expected: up ? judged.band.upperBound : judged.band.lowerBound,
                            observed: o.value, detail: "", open: true)
            open = a
            out.append(described(a))
            return
        }
        guard o.start > through else { return }
        through = o.start
        low.add(o.value)
        high.add(o.value)
    }

    /// The event with its score, severity (critical after a day outside) and description as of its
    /// furthest value.
    private func described(_ a: Anomaly) -> Anomaly {
        var a = a
        a.severity = a.end - a.start >= 86_400 ? .critical : .warning
        let width = limits.map { $0.band.upperBound - $0.band.lowerBound } ?? 0
        a.score = width > 0 ? abs(a.observed - a.expected) / width : 0
        let up = a.observed > a.expected
        a.detail = String(format: "%@ %.4g, %@ %.4g (the %@ percentile of all this meter has read) for %.1f h%@",
                          up ? "reached" : "fell to", a.observed, up ? "above" : "below", a.expected, up ? "99th" : "1st",
                          Double(a.end - a.start) / 3600, a.open ? " so far" : "")
        return a
    }

    public var current: Anomaly? { open.map(described) }

    public mutating func finish(into out: inout [Anomaly]) {
        if let a = open.take() { out.append(described(a.closed)) }
    }
}
