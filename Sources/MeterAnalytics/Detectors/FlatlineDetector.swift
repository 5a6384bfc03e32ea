import Foundation
import MeterCore

/// Flatlines: the same or near-same value for longer than a household holds it, the blueprint's
/// tamper signature (a meter held near a constant for days). A window of recent values whose
/// spread is under a fraction of their mean, above the meter's own floor, opens the event; the
/// second value in a row away from the held level closes it.
public struct FlatlineDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// How long values must stay near-constant, seconds (12 hours: a quiet household's base
        /// load can sit within a percent for most of a night).
        public var duration: Int64 = 12 * 3600
        /// Readings in the window at half-hourly intervals (the window is sized from `duration` and the interval).
        public var window: Int { Int(duration / 1800) }
        /// Largest standard deviation over mean of a held window.
        public var maxVariation = 0.008
        /// A value further than this share from the held level ends the event.
        public var tolerance = 0.05
        /// Below this mean the window is zeros or near: the zero-run detector's matter.
        public var minLevel = 0.01
        /// A hold near the meter's floor (under this many times its 5th percentile) must be stiller
        /// than other holds: a quiet home's steady base load at night is not a tamper...
        public var aboveFloor = 1.2
        /// ...unless it sits well under that percentile (below anything the home's base load does)...
        public var belowFloor = 0.8
        /// ...or holds tighter than this (standard deviation over mean; 1 Wh on 0.5 kWh): a home's
        /// base load moves more than that as its fridge and boiler cycle, so a level this still at
        /// the floor is held.
        public var floorVariation = 0.002
        public init() {}
    }

    @SharedSettings public var config: Config
    private var recent: RingBuffer
    /// The event open, if any (kept behind a pointer: `Rare`).
    private var open: Anomaly? {
        get { openEvent.value }
        set { openEvent.value = newValue }
    }
    private var openEvent = Rare<Anomaly>()
    private var level = 0.0
    private var last: Int64 = 0
    private var lastInterval: Int64 = 1800
    /// Typical variation of this meter's windows (EWMA), for the message.
    private var usual = 0.3
    /// Values in a row away from the held level (one stray value does not end a hold).
    private var breaks = 0
    private var firstBreak: Int64 = 0

    /// Whether a hold is in progress.
    public var isOpen: Bool { openEvent.isSet }
    private var envelope = QuantileSketch()

    /// Where the hold in progress began.
    public var openSince: Int64? { open?.start }

    private var size: Int

    public init(config: Config = Config()) {
        self.config = config
        size = config.window
        recent = RingBuffer(capacity: size)
    }

    /// Asks memory for what a reading in this bin of the value sketches will read.
    public mutating func prefetch(bin: Int) {
        envelope.prefetch(bin: bin)
        recent.prefetch()
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        guard o.value.isFinite else { return }
        let wanted = max(4, min(1440, Int(config.duration / max(60, o.interval))))
        if wanted != size { size = wanted; recent = RingBuffer(capacity: size) }
        // A gap in the readings breaks a window.
        if recent.count > 0, o.start - last > 2 * o.interval, !openEvent.isSet { recent = RingBuffer(capacity: size) }
        last = o.start
        lastInterval = o.interval
        if openEvent.isSet, var a = open {
            if abs(o.value - level) <= config.tolerance * max(level, config.minLevel) {
                a.end = o.start + o.interval
                open = a
                breaks = 0
                return
            }
            breaks += 1
            if breaks == 1 { firstBreak = o.start; return }
            close(at: firstBreak, into: &out)
            breaks = 0
        }
        recent.append(o.value)
        envelope.add(o)
        guard recent.count == size else { return }
        // Quick test: a window whose second-largest and second-smallest values are far apart is not held.
        var v = recent.values
        let (lo2, hi2) = v.withUnsafeBufferPointer(RingBuffer.secondExtremes)
        if hi2 - lo2 > 8 * config.maxVariation * max(hi2, config.minLevel) {
            usual = 0.95 * usual + 0.05 * min(1, (hi2 - lo2) / max(hi2, 1e-9))
            return
        }
        // One stray value (a spike, a single zero) does not hide a hold: the value farthest from the
        // window's median is left out.
        let median = RingBuffer.median(v)
        if let far = v.indices.max(by: { abs(v[$0] - median) < abs(v[$1] - median) }) { v.remove(at: far) }
        let mean = v.reduce(0, +) / Double(v.count)
        let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        let variation = mean > 0 ? sd / mean : .infinity
        let floor = envelope.seen >= 96 ? (envelope.quantile(0.05) ?? 0) : 0
        let nearFloor = mean >= config.belowFloor * floor && mean < config.aboveFloor * floor
        if mean >= config.minLevel, variation <= config.maxVariation, !nearFloor || variation <= config.floorVariation {
            level = mean
            // The hold starts at the window's first value near the level (a stray first value is not part of it).
            let ordered = recent.ordered
            let firstHeld = ordered.firstIndex { abs($0 - mean) <= config.tolerance * mean } ?? 0
            let start = o.start - Int64(size - 1 - firstHeld) * o.interval
            let a = Anomaly(kind: .flatline, meter: o.meter, source: o.source, start: start, end: o.start + o.interval, detectedAt: o.start,
                            severity: .warning, score: Double(size) * Double(o.interval) / 3600, expected: usual, observed: variation,
                            detail: "", open: true)
            open = a
            out.append(described(a))
        } else if variation.isFinite {
            usual = 0.95 * usual + 0.05 * variation
        }
    }

    private func described(_ a: Anomaly) -> Anomaly {
        var a = a
        let hours = Double(a.end - a.start) / 3600
        a.score = hours
        a.severity = hours >= 48 ? .critical : .warning
        a.detail = "held at \(FixedDecimal.format(level, places: 3)) kWh (within \(FixedDecimal.format(a.observed * 100, places: 1))%) "
            + "for \(FixedDecimal.format(hours, places: 1)) h; this meter's readings usually vary by \(FixedDecimal.format(usual * 100, places: 0))%"
        return a
    }

    private mutating func close(at t: Int64, into out: inout [Anomaly]) {
        guard var a = open else { return }
        a.end = max(a.end, t)
        a.open = false
        out.append(described(a))
        open = nil
        recent = RingBuffer(capacity: size)
    }

    public mutating func finish(into out: inout [Anomaly]) {
        if let a = open { close(at: a.end, into: &out) }
    }

    public var current: Anomaly? { open.map(described) }
}
