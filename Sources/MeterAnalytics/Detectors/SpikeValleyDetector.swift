import Foundation
import MeterCore

/// Spikes and valleys: a value far above or below what this meter does at this time of day on
/// this kind of day. The baseline is robust and local: per slot of the day and per weekday or
/// weekend, the median of the last few values in log space and their median absolute deviation,
/// so the daily and weekly cycle is the norm and a global threshold is never used. Values it flags
/// are not learned. Zeros are left to the zero-run and outage detectors.
public struct SpikeValleyDetector: MeterDetector {
    public struct Config: Sendable, Hashable {
        /// Robust z (log units over scaled MAD) beyond which a value is anomalous.
        public var threshold = 5.0
        /// A spike is also at least this many times the expected value...
        public var spikeRatio = 3.0
        /// ...and a valley at most this share of it.
        public var valleyRatio = 0.3
        /// And at least this far from it in kWh, so tiny values do not alarm.
        public var minDifference = 0.05
        /// Lowest spread assumed (log units): a handful of similar values is not certainty.
        public var sigmaFloor = 0.15
        /// Values remembered per slot and day type.
        public var memory = 8
        /// Added before taking logs.
        public var epsilon = 0.02
        public init() {}
    }

    public var config: Config
    /// Whether values are learned into the baseline (off while the meter is held at a constant).
    public var learns = true
    private var byDayType: [RingBuffer] = []
    private var bySlot: [RingBuffer] = []
    private var slots = 0

    public init(config: Config = Config()) { self.config = config }

    /// The expected value and robust spread at a slot, when enough history is held.
    func baseline(slot: Int, weekend: Bool) -> (median: Double, sigma: Double)? {
        guard slots > 0, slot >= 0, slot < slots else { return nil }
        let k = slot + (weekend ? slots : 0)
        let ref = byDayType[k].count >= 3 ? byDayType[k] : bySlot[slot]
        guard ref.count >= 3 else { return nil }
        let (m, mad) = ref.medianAndMAD()
        return (m, max(1.4826 * mad, config.sigmaFloor))
    }

    public mutating func observe(_ o: Observation, into out: inout [Anomaly]) {
        let perDay = Int(86_400 / max(60, o.interval))
        if slots != perDay {
            slots = perDay
            byDayType = Array(repeating: RingBuffer(capacity: config.memory), count: 2 * perDay)
            bySlot = Array(repeating: RingBuffer(capacity: config.memory + 2), count: perDay)
        }
        guard o.value.isFinite, o.slotOfDay >= 0, o.slotOfDay < slots else { return }
        let x = log(max(0, o.value) + config.epsilon)
        var flagged = false
        if o.value > 0, let (m, sigma) = baseline(slot: o.slotOfDay, weekend: o.weekend) {
            let z = (x - m) / sigma
            let expected = max(0, exp(m) - config.epsilon)
            if z > config.threshold, o.value >= config.spikeRatio * expected, o.value - expected >= config.minDifference {
                flagged = true
                out.append(Anomaly(kind: .spike, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval,
                                   detectedAt: o.start, severity: z > 2 * config.threshold ? .critical : .warning, score: z,
                                   expected: expected, observed: o.value,
                                   detail: String(format: "%.3f kWh where this slot usually has %.3f (%.1fx, z %.1f)", o.value, expected, o.value / max(expected, 1e-9), z)))
            } else if z < -config.threshold, o.value <= config.valleyRatio * expected, expected - o.value >= config.minDifference {
                flagged = true
                out.append(Anomaly(kind: .valley, meter: o.meter, source: o.source, start: o.start, end: o.start + o.interval,
                                   detectedAt: o.start, severity: .warning, score: z, expected: expected, observed: o.value,
                                   detail: String(format: "%.3f kWh where this slot usually has %.3f (z %.1f)", o.value, expected, z)))
            }
        }
        if !flagged && o.value > 0 && learns {
            byDayType[o.slotOfDay + (o.weekend ? slots : 0)].append(x)
            bySlot[o.slotOfDay].append(x)
        }
    }
}
