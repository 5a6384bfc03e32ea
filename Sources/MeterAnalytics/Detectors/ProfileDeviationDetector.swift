import Foundation
import MeterCore

/// Sustained deviations: hours on end above or below what the meter usually does at those times
/// (a jump in level, a flat stretch where the day should move, a holiday's missing load). The
/// residual of each value against its time-of-day profile is smoothed over about an hour; when the
/// smoothed residual stays beyond several times its usual spread for three readings in a row (and
/// at least half an hour), the event opens, and it closes when the residual comes back. Values
/// during an event are not learned, so the profile keeps describing the meter's normal.
public struct ProfileDeviationDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Smoothing time constant, seconds.
        public var smoothing: Int64 = 3600
        /// How far beyond the smoothed residual's own 0.1% tails (as a multiple) counts as a deviation.
        public var tailMargin = 1.3
        /// How long the deviation must last before it is reported, seconds; and in any case three
        /// readings in a row (two hourly readings are thin evidence of a lasting change).
        public var minDuration: Int64 = 1800
        /// Lowest residual spread assumed (log units).
        public var spreadFloor = 0.05
        /// After an event closes, how long before another may open, seconds (one episode, one report).
        public var quiet: Int64 = 12 * 3600
        public init() {}
    }

    @SharedSettings public var config: Config
    private var profile = SlotProfile(memory: 8, epsilon: 0.02, sigmaFloor: 0.05)
    private var smoothedTails = ResidualSketch()
    private var smoothed = 0.0
    private var since: Int64?
    /// The event open, if any (kept behind a pointer: `Rare`).
    private var open: Anomaly? {
        get { openEvent.value }
        set { openEvent.value = newValue }
    }
    private var openEvent = Rare<Anomaly>()
    private var last: Int64 = .min
    private var closedAt: Int64 = .min

    public init(config: Config = Config()) { self.config = config }

    /// Asks memory for what judging a reading at this slot will read.
    public mutating func prefetch(slot: Int, weekend: Bool) {
        profile.prefetch(slot: slot, weekend: weekend)
        smoothedTails.prefetch(near: smoothed, tails: true)
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        profile.prepare(interval: o.interval)
        guard o.value.isFinite else { return }
        let x = o.logValue(epsilon: profile.epsilon)
        guard let (m, _) = profile.baseline(slot: o.slotOfDay, weekend: o.weekend) else {
            profile.learn(logValue: x, slot: o.slotOfDay, weekend: o.weekend)
            return
        }
        let r = x - m
        let alpha = min(1, Double(o.interval) / Double(config.smoothing))
        if last != .min, o.start - last > 4 * o.interval { smoothed = 0; since = nil }
        last = o.start
        smoothed += alpha * (r - smoothed)
        // Beyond the smoothed residual's own tails (it is autocorrelated, so its spread is learned, not assumed).
        let hi = max(config.spreadFloor, smoothedTails.quantile(0.999) ?? .infinity) * config.tailMargin
        let lo = min(-config.spreadFloor, smoothedTails.quantile(0.001) ?? -.infinity) * config.tailMargin
        let spread = max(config.spreadFloor, (hi - lo) / 2)
        let deviating = smoothedTails.seen >= 2 * Int(86_400 / max(60, o.interval)) && (smoothed > hi || smoothed < lo)
        if deviating {
            let s = since ?? o.start
            since = s
            if openEvent.isSet, var a = open {
                a.end = o.start + o.interval
                a.observed = exp(smoothed)
                open = a
            } else if o.start - s >= max(config.minDuration, 2 * o.interval), closedAt == .min || o.start - closedAt >= config.quiet {
                let up = smoothed > 0
                let a = Anomaly(kind: .levelShift, meter: o.meter, source: o.source, start: s, end: o.start + o.interval, detectedAt: o.start,
                                severity: .warning, score: smoothed / spread, expected: 1, observed: exp(smoothed),
                                detail: String(format: "%@ what this meter usually does at these times (%.0f%%)", up ? "above" : "below", (exp(smoothed) - 1) * 100),
                                open: true)
                open = a
                out.append(a)
            }
        } else {
            since = nil
            if openEvent.isSet, var a = open {
                a.open = false
                a.end = o.start
                out.append(described(a))
                open = nil
                closedAt = o.start
            }
            smoothedTails.add(smoothed)
            profile.learn(logValue: x, slot: o.slotOfDay, weekend: o.weekend)
        }
    }

    /// The event scored by its length, as it closes or as it stands while open.
    private func described(_ a: Anomaly) -> Anomaly {
        var a = a
        let hours = Double(a.end - a.start) / 3600
        a.score = hours
        a.severity = hours >= 24 ? .critical : .warning
        a.detail = String(format: "%.1f h %@ what this meter usually does at those times (%+.0f%%)%@", hours,
                          a.observed > 1 ? "above" : "below", (a.observed - 1) * 100, a.open ? " so far" : "")
        return a
    }

    public var current: Anomaly? { open.map(described) }

    public mutating func finish(into out: inout [Anomaly]) {
        if let a = open.take() { out.append(described(a.closed)) }
    }
}
