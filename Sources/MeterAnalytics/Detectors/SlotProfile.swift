import Foundation

/// What a meter usually does at each time of day, weekdays and weekends apart: per slot, the last
/// few values in log space, from which a robust expectation (median) and spread (scaled MAD) come.
/// Shared by the detectors that judge a value against its time of day. Every ring lives in one flat
/// array, so learning a value and judging one allocate nothing.
public struct SlotProfile: Sendable {
    public let memory: Int
    public let epsilon: Double
    public let sigmaFloor: Double
    /// Rings per slot and day type (weekday slots, then weekend slots), `memory` values each.
    private var byDayType = Rings(capacity: 1, count: 0)
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
        byDayType = Rings(capacity: memory, count: 2 * perDay)
    }

    public func log(_ value: Double) -> Double { Foundation.log(max(0, value) + epsilon) }

    /// The values a slot is judged by, in ascending order: its day type's ring when that holds three
    /// values, else (while the meter is new) both day types' rings at that slot together, at most
    /// `memory + 2` values: the slot's last few whatever the day.
    private func withReference<T>(_ slot: Int, _ weekend: Bool, _ body: (UnsafeBufferPointer<Float>) -> T) -> T {
        let k = slot + (weekend ? slots : 0), other = slot + (weekend ? 0 : slots)
        guard byDayType.count(k) < 3 else { return byDayType.withValues(k, body) }
        return byDayType.withValues(k) { mine in
            byDayType.withValues(other) { theirs in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: mine.count + theirs.count) { merged in
                    var i = 0, j = 0
                    for n in merged.indices {
                        if j >= theirs.count || (i < mine.count && mine[i] <= theirs[j]) { merged[n] = mine[i]; i += 1 } else { merged[n] = theirs[j]; j += 1 }
                    }
                    return body(UnsafeBufferPointer(merged))
                }
            }
        }
    }

    /// The expected log value and robust spread at a slot, when at least three values are held.
    public func baseline(slot: Int, weekend: Bool) -> (median: Double, sigma: Double)? {
        guard slots > 0, slot >= 0, slot < slots else { return nil }
        let (m, mad) = withReference(slot, weekend) { $0.count >= 3 ? RingBuffer.medianAndMAD(sorted: $0) : (.nan, .nan) }
        guard !m.isNaN else { return nil }
        return (m, max(1.4826 * mad, sigmaFloor))
    }

    /// The largest value remembered at this slot and the two beside it, on the same kind of day.
    public func neighbourhoodMax(slot: Int, weekend: Bool) -> Double {
        guard slots > 0 else { return .infinity }
        var m = -Double.infinity
        for d in -1...1 {
            m = max(m, withReference((slot + d + slots) % slots, weekend) { $0.last.map(Double.init) } ?? -.infinity)
        }
        return m.isFinite ? exp(m) - epsilon : .infinity
    }

    public mutating func learn(logValue x: Double, slot: Int, weekend: Bool) {
        guard slots > 0, slot >= 0, slot < slots else { return }
        byDayType.append(x, to: slot + (weekend ? slots : 0))
    }
}

/// `count` rings of `capacity` values in one array, oldest overwritten first, each also kept in
/// ascending order beside it so its median and MAD take one pass. A ring's ordered values, its
/// values in arrival order, its fill and its next slot lie together (one or two cache lines), so
/// learning a value at a fleet's scale waits on memory once, not once per column. Values are kept
/// in single precision (log values to about 1e-7): a profile is most of a meter's detector state.
private struct Rings: Sendable {
    let capacity: Int
    /// Per ring: `capacity` ordered values, `capacity` values in arrival order, fill, next.
    private var data: [Float]
    private var stride: Int { 2 * capacity + 2 }

    init(capacity: Int, count: Int) {
        self.capacity = max(1, capacity)
        data = [Float](repeating: 0, count: (2 * self.capacity + 2) * count)
    }

    func count(_ ring: Int) -> Int { Int(data[ring * stride + 2 * capacity]) }

    /// The ring's values in ascending order.
    func withValues<T>(_ ring: Int, _ body: (UnsafeBufferPointer<Float>) -> T) -> T {
        data.withUnsafeBufferPointer { all in
            let base = ring * stride
            return body(UnsafeBufferPointer(rebasing: all[base..<(base + Int(all[base + 2 * capacity]))]))
        }
    }

    mutating func append(_ value: Double, to ring: Int) {
        let capacity = capacity, base = ring * stride, x = Float(value)
        data.withUnsafeMutableBufferPointer { d in
            let sorted = base, values = base + capacity, meta = base + 2 * capacity
            let at = Int(d[meta + 1])
            var n = Int(d[meta])
            if n == capacity {
                // Take the value being overwritten out of the ordered copy.
                let old = d[values + at]
                var k = 0
                while k < n - 1, d[sorted + k] != old { k += 1 }
                while k < n - 1 { d[sorted + k] = d[sorted + k + 1]; k += 1 }
                n -= 1
            }
            var k = n
            while k > 0, d[sorted + k - 1] > x { d[sorted + k] = d[sorted + k - 1]; k -= 1 }
            d[sorted + k] = x
            d[values + at] = x
            d[meta] = Float(n + 1)
            d[meta + 1] = Float((at + 1) % capacity)
        }
    }
}
