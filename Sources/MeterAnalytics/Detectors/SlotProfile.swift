import Foundation

/// What a meter usually does at each time of day, weekdays and weekends apart: per slot, the last
/// few values in log space, from which a robust expectation (median) and spread (scaled MAD) come.
/// Shared by the detectors that judge a value against its time of day.
public struct SlotProfile: Sendable {
    public let memory: Int
    public let epsilon: Double
    public let sigmaFloor: Double
    private var byDayType: [RingBuffer] = []
    private var bySlot: [RingBuffer] = []
    public private(set) var slots = 0

    public init(memory: Int = 8, epsilon: Double = 0.02, sigmaFloor: Double = 0.15) {
        self.memory = memory
        self.epsilon = epsilon
        self.sigmaFloor = sigmaFloor
    }

    /// Sizes the profile for an interval (a new size starts it afresh).
    public mutating func prepare(interval: Int64) {
        let perDay = Int(86_400 / max(60, interval))
        guard slots != perDay else { return }
        slots = perDay
        byDayType = Array(repeating: RingBuffer(capacity: memory), count: 2 * perDay)
        bySlot = Array(repeating: RingBuffer(capacity: memory + 2), count: perDay)
    }

    public func log(_ value: Double) -> Double { Foundation.log(max(0, value) + epsilon) }

    /// The expected log value and robust spread at a slot, when at least three values are held.
    public func baseline(slot: Int, weekend: Bool) -> (median: Double, sigma: Double)? {
        guard slots > 0, slot >= 0, slot < slots else { return nil }
        let k = slot + (weekend ? slots : 0)
        let ref = byDayType[k].count >= 3 ? byDayType[k] : bySlot[slot]
        guard ref.count >= 3 else { return nil }
        let (m, mad) = ref.medianAndMAD()
        return (m, max(1.4826 * mad, sigmaFloor))
    }

    /// The largest value remembered at this slot and the two beside it, on the same kind of day.
    public func neighbourhoodMax(slot: Int, weekend: Bool) -> Double {
        guard slots > 0 else { return .infinity }
        var m = -Double.infinity
        for d in -1...1 {
            let s = (slot + d + slots) % slots
            let k = s + (weekend ? slots : 0)
            let ring = byDayType[k].count >= 3 ? byDayType[k] : bySlot[s]
            m = max(m, ring.values.max() ?? -.infinity)
        }
        return m.isFinite ? exp(m) - epsilon : .infinity
    }

    public mutating func learn(logValue x: Double, slot: Int, weekend: Bool) {
        guard slots > 0, slot >= 0, slot < slots else { return }
        byDayType[slot + (weekend ? slots : 0)].append(x)
        bySlot[slot].append(x)
    }
}
