import Foundation
import MeterCore

/// Spikes and valleys: a value far above or below what this meter does at this time of day on
/// this kind of day, and outside the meter's own envelope. The time-of-day baseline is robust and
/// local (per slot of the day and per weekday or weekend, the median of the last few values in log
/// space and their median absolute deviation), so the daily and weekly cycle is the norm and no
/// global threshold is used; the envelope is the meter's 99th (or 1st) percentile over the last
/// few weeks. A candidate is confirmed by the next reading returning towards normal, so a spike is
/// reported one interval after it happens and a household's hour-long heater run is not one.
/// Values it flags are not learned, unless a spike turns out to be the meter's habit (three of much
/// the same height at much the same time of day in 90 days: a recurring appliance) or a valley
/// comes within a day of the last (one episode of a home at its floor): those are learned and not
/// reported. Zeros are left to the zero-run and outage detectors.
public struct SpikeValleyDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Robust z (log units over scaled MAD) beyond which a value is a spike candidate...
        public var threshold = 3.0
        /// ...and below which a valley candidate (lower: the envelope test is the stronger one for valleys).
        public var valleyThreshold = 2.0
        /// A spike is also at least this many times the expected value...
        public var spikeRatio = 3.0
        /// ...and this many times further above expected than the meter's own 99.9th percentile of
        /// how far above expected it goes...
        public var tailMargin = 1.0
        /// ...and, on a meter whose values scatter widely around its profile (spread of residuals above
        /// `noisySpread`, log units), at least this many times its 99th percentile: a lively household's
        /// own extremes are not spikes.
        public var noisySpread = 0.45
        public var noisyEnvelope = 2.0
        /// Such a meter's slots are wide, so its robust z is small even for a spike: a lower z suffices
        /// there, the envelope test being the one that counts.
        public var noisyThreshold = 2.0
        /// ...and lower still, this, for a value this many times its 99th percentile: far above
        /// anything the household does, whatever its slot's spread.
        public var noisyFarThreshold = 1.0
        public var noisyFarEnvelope = 2.5
        /// ...or, with the robust z of `noisyFarThreshold`, this many times its 99th percentile and this
        /// many times the largest value it had lately at this time of day: a household whose evenings
        /// reach its 99th percentile has no such value at two in the morning.
        public var noisyNearEnvelope = 1.7
        public var noisyNeighbourhoodRatio = 2.5
        /// ...and at least this many times the largest value remembered at this time of day (this
        /// slot and its neighbours, same kind of day).
        public var neighbourhoodRatio = 1.5
        /// A valley is at most this share of the expected value and below this share of the
        /// meter's 1st percentile of non-zero values.
        public var valleyRatio = 0.2
        public var floorRatio = 0.7
        /// A value under this share of the meter's 1st percentile is a valley at any time of day (the
        /// slot tests above are for values the meter's floor would allow): a home's base load halved.
        /// Such a valley need only be this share of the 1st percentile below expected, not `minDifference`.
        public var deepFloorRatio = 0.5
        /// A valley within this many seconds of the meter's last confirmed one is the same episode (a home
        /// left with only its fridge dips under its floor several times) and is not reported again. Zero
        /// reports every one.
        public var valleyEpisode: Int64 = 86_400
        /// ...and a whole sketch bin below the lowest this share of its recent values: a meter whose
        /// own readings go that low now and then (a home whose floor sits at the meter's resolution)
        /// has no valley there.
        public var valleyRarity = 0.001
        /// And at least this far from expected in kWh, so tiny values do not alarm.
        public var minDifference = 0.05
        /// Lowest spread assumed (log units): a handful of similar values is not certainty.
        public var sigmaFloor = 0.15
        /// A confirmed spike is the meter's habit, and not reported, when the meter has had three of
        /// much the same height (within this share either way) in the last 90 days: a household's
        /// recurring appliance at odd hours, not a fault. Zero turns habits off.
        public var habitShare = 0.9
        /// ...and at much the same time of day (within this many hours either way; zero for any time):
        /// a household's morning 2 kWh is its habit at six, not at two in the morning.
        public var habitHours = 3.0
        /// Confirmed spikes remembered per meter for the habit.
        public var habitMemory = 16
        /// Values remembered per slot and day type.
        public var memory = 8
        /// Added before taking logs.
        public var epsilon = 0.02
        /// Values seen before the envelope is trusted.
        public var envelopeWarmup = 96
        public init() {}
    }

    @SharedSettings public var config: Config
    /// Whether values are learned into the baseline (off while the meter is held at a constant).
    public var learns = true
    private var profile: SlotProfile
    private var envelope = QuantileSketch()
    private var residuals = ResidualSketch()
    /// A candidate waiting for the next reading, and the value before it.
    /// (Each kept behind a pointer: `Rare`.)
    private var candidate: Anomaly? {
        get { waiting.value }
        set { waiting.value = newValue }
    }
    private var candidateObservation: Observation? {
        get { waitingObservation.value }
        set { waitingObservation.value = newValue }
    }
    private var waiting = Rare<Anomaly>()
    private var waitingObservation = Rare<Observation>()
    private var previous: Double?
    /// Spikes confirmed before, reported or not.
    private var spikes: ExcursionMemory
    /// Valleys confirmed before, reported or not.
    private var valleys: ExcursionMemory

    public init(config: Config = Config()) {
        self.config = config
        profile = SlotProfile(memory: config.memory, epsilon: config.epsilon, sigmaFloor: config.sigmaFloor)
        spikes = ExcursionMemory(capacity: config.habitMemory)
        valleys = ExcursionMemory(capacity: 1, habitAfter: 1, span: config.valleyEpisode)
    }

    func baseline(slot: Int, weekend: Bool) -> (median: Double, sigma: Double)? { profile.baseline(slot: slot, weekend: weekend) }
    func neighbourhoodMax(slot: Int, weekend: Bool) -> Double { profile.neighbourhoodMax(slot: slot, weekend: weekend) }

    /// Asks memory for what judging a reading at this slot, in this bin of the value sketches, will read.
    public mutating func prefetch(slot: Int, weekend: Bool, bin: Int) {
        profile.prefetch(slot: slot, weekend: weekend)
        envelope.prefetch(bin: bin)
        residuals.prefetch(near: 0)
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        profile.prepare(interval: o.interval)
        guard o.value.isFinite, o.slotOfDay >= 0, o.slotOfDay < profile.slots else { return }
        // The candidate stands if this reading is back towards normal (and follows it directly).
        if waiting.isSet, var c = candidate {
            candidate = nil
            let adjacent = o.start - c.start <= o.interval
            let recovered = c.kind == .spike ? o.value <= 0.5 * c.observed : o.value >= 3 * max(c.observed, 0.001)
            let habitual = adjacent && recovered && isHabitual(c)
            if adjacent && recovered {
                if c.kind == .spike { spikes.record(at: c.start, value: c.observed) } else { valleys.record(at: c.start, value: c.observed) }
            }
            if adjacent && recovered && !habitual {
                c.detectedAt = o.start
                out.append(c)
            } else if let held = candidateObservation {
                learn(held)
            }
            candidateObservation = nil
        }
        let x = o.logValue(epsilon: config.epsilon)
        var flagged = false
        let trusted = envelope.seen >= config.envelopeWarmup
        // The slot's baseline, worked out once for judging the value and for learning it.
        let base = o.value > 0 && (trusted || learns) ? baseline(slot: o.slotOfDay, weekend: o.weekend) : nil
        if o.value > 0, trusted, let (m, sigma) = base {
            let z = (x - m) / sigma
            let expected = max(0, exp(m) - config.epsilon)
            // Cheap tests first; the envelope and tail quantiles only for a value already far from its slot.
            // A regular meter's spike stands out from its own residual tail and from what it did at this
            // time of day; a lively household's must stand above everything it usually does.
            if z > Swift.min(config.noisyFarThreshold, config.threshold), o.value >= config.spikeRatio * expected,
               o.value - expected >= config.minDifference, case let noisy = isNoisy, z > (noisy ? config.noisyFarThreshold : config.threshold),
               noisy ? isLivelySpike(o, z: z)
                     : x - m >= (residuals.quantile(0.998) ?? 0) + log(config.tailMargin)
                       && o.value >= config.neighbourhoodRatio * neighbourhoodMax(slot: o.slotOfDay, weekend: o.weekend) {
                let p99 = envelope.quantile(0.99) ?? .infinity
                flagged = true
                candidate = Anomaly(kind: .spike, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval,
                                    detectedAt: o.start, severity: o.value > 3 * p99 ? .critical : .warning, score: z,
                                    expected: expected, observed: o.value,
                                    detail: "\(Self.kwh(o.value)) kWh where this slot usually has \(Self.kwh(expected)) "
                                        + "(\(FixedDecimal.format(o.value / max(expected, 1e-9), places: 1))x; the meter's 99th percentile is \(Self.kwh(p99)))")
            } else if (previous ?? 0) >= 3 * o.value, let p1 = envelope.quantile(0.01), o.value < config.floorRatio * p1,
                      o.value <= config.deepFloorRatio * p1 || (z < -config.valleyThreshold && o.value <= config.valleyRatio * expected),
                      expected - o.value >= min(config.minDifference, config.deepFloorRatio * p1),
                      o.value < (envelope.quantile(config.valleyRarity) ?? 0) / QuantileSketch.binWidth {
                flagged = true
                candidate = Anomaly(kind: .valley, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval,
                                    detectedAt: o.start, severity: .warning, score: z, expected: expected, observed: o.value,
                                    detail: "\(Self.kwh(o.value)) kWh where this slot usually has \(Self.kwh(expected)) (the meter's 1st percentile is \(Self.kwh(p1)))")
            }
        }
        if flagged { candidateObservation = o } else { learn(o, x: x, baseline: base) }
        previous = o.value
    }

    /// Whether the meter has lately had enough spikes of much the same height that this one is its
    /// habit, or a valley so lately that this one belongs to the same episode.
    func isHabitual(_ c: Anomaly) -> Bool {
        if c.kind == .valley { return config.valleyEpisode > 0 && valleys.isHabitual(at: c.start) { _, _ in true } }
        let share = config.habitShare, hours = Int64(config.habitHours * 3600)
        return share > 0 && spikes.isHabitual(at: c.start) { time, value in
            let apart = ((time - c.start) % 86_400 + 86_400) % 86_400
            return value >= share * c.observed && value * share <= c.observed && (hours <= 0 || min(apart, 86_400 - apart) <= hours)
        }
    }

    /// Whether a value far from its slot on a lively household stands above everything it usually does.
    func isLivelySpike(_ o: Observation, z: Double) -> Bool {
        let p99 = envelope.quantile(0.99) ?? .infinity
        if o.value >= (z > config.noisyThreshold ? config.noisyEnvelope : config.noisyFarEnvelope) * p99 { return true }
        return z > config.noisyFarThreshold && o.value >= config.noisyNearEnvelope * p99
            && o.value >= config.noisyNeighbourhoodRatio * neighbourhoodMax(slot: o.slotOfDay, weekend: o.weekend)
    }

    /// Whether the meter's values scatter widely around its profile (a lively household).
    var isNoisy: Bool {
        ((residuals.quantile(0.84) ?? 0) - (residuals.quantile(0.16) ?? 0)) / 2 > config.noisySpread
    }

    private mutating func learn(_ o: Observation) {
        guard learns else { return }
        learn(o, x: o.logValue(epsilon: config.epsilon), baseline: o.value > 0 ? baseline(slot: o.slotOfDay, weekend: o.weekend) : nil)
    }

    /// Learns a value whose log (`x`) and slot baseline (before this value) are known.
    private mutating func learn(_ o: Observation, x: Double, baseline base: (median: Double, sigma: Double)?) {
        guard learns else { return }
        envelope.add(o)
        guard o.value > 0 else { return }
        if let (m, _) = base { residuals.add(x - m) }
        profile.learn(logValue: x, slot: o.slotOfDay, weekend: o.weekend)
    }

    public mutating func finish(into out: inout [Anomaly]) {
        if let c = candidate { out.append(c) }
        candidate = nil
    }

    /// A value in kWh as events describe it (three places).
    private static func kwh(_ v: Double) -> String { FixedDecimal.format(v, places: 3) }
}
