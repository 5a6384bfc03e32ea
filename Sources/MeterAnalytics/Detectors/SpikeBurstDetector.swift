import Foundation
import MeterCore

/// Spike bursts: a meter's extreme values (above its own 98th percentile) coming closer together
/// than they ever have, the mark of an intermittent fault, a loose connection or interference,
/// where each spike alone is within the meter's range. Counts the extremes among the last `window`
/// readings and learns the most it has seen while warming up; a count beyond that by `margin` opens
/// the event, which closes once the count is back within what the meter knows. The burst then
/// becomes part of what the meter knows, so a pattern that repeats is reported once.
public struct SpikeBurstDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Readings in the counting window (at most 64).
        public var window = 12
        /// Extremes beyond the most ever seen in a window that make a burst.
        public var margin = 2
        /// Fewest extremes in a window for a burst.
        public var minCount = 4
        /// Share of the meter's values below an extreme.
        public var quantile = 0.98
        /// Readings before the detector reports (what the meter's extremes and their spacing are
        /// takes a few hundred readings to learn).
        public var warmUp = 600
        public init() {}
    }

    @SharedSettings public var config: Config
    private var sketch = QuantileSketch()
    private var threshold = Double.infinity
    /// Which of the window's readings were extremes, one bit each, and the window's length.
    private var extremes: UInt64 = 0
    private let length: Int
    private var position = 0
    private var count = 0
    private var most = 0
    private var seen = 0
    /// The event open, if any (kept behind a pointer: `Rare`).
    private var open: Anomaly? {
        get { openEvent.value }
        set { openEvent.value = newValue }
    }
    private var openEvent = Rare<Anomaly>()

    public init(config: Config = Config()) {
        self.config = config
        length = min(64, max(2, config.window))
    }

    /// Asks memory for what a reading in this bin of the value sketches will read.
    public mutating func prefetch(bin: Int) { sketch.prefetch(bin: bin) }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        guard o.value.isFinite else { return }
        seen += 1
        // The threshold follows the meter's distribution, refreshed every 48 readings: the lower
        // edge of the sketch's bin that holds the quantile (its bins are 4% wide).
        if seen % 48 == 1, let q = sketch.quantile(config.quantile) { threshold = q / QuantileSketch.binWidth }
        sketch.add(o)
        let extreme = o.value > 0 && o.value >= threshold
        let bit: UInt64 = 1 << UInt64(position)
        if extremes & bit != 0 { count -= 1 }
        extremes = extreme ? extremes | bit : extremes & ~bit
        if extreme { count += 1 }
        position = position + 1 == length ? 0 : position + 1
        guard seen > config.warmUp else {
            most = max(most, count)
            return
        }
        let limit = max(config.minCount, most + config.margin)
        if openEvent.isSet, var a = open {
            a.end = o.start + o.interval
            a.observed = max(a.observed, Double(count))
            if count <= most {
                a.open = false
                out.append(described(a))
                open = nil
                most = max(most, Int(a.observed))
            } else {
                open = a
            }
        } else if count >= limit {
            let start = o.start - Int64(length - 1) * o.interval
            let a = Anomaly(kind: .spikeBurst, meter: o.meter, source: o.source, start: start, end: o.start + o.interval,
                            detectedAt: o.start, severity: .warning, score: 0, expected: Double(most), observed: Double(count),
                            detail: "", open: true)
            open = a
            out.append(described(a))
        }
        // After the warm-up only a burst teaches the meter a new most: a count creeping up one
        // extreme at a time is how a burst begins.
    }

    private func described(_ a: Anomaly) -> Anomaly {
        var a = a
        a.score = a.observed / max(1, a.expected)
        a.severity = a.score >= 3 ? .critical : .warning
        a.detail = String(format: "%.0f values above this meter's %.0fth percentile (%.3g) within %d readings; it has had at most %.0f",
                          a.observed, config.quantile * 100, threshold, length, a.expected)
        return a
    }

    public var current: Anomaly? { open.map(described) }

    public mutating func finish(into out: inout [Anomaly]) {
        if let a = open.take() { out.append(described(a.closed)) }
    }
}
