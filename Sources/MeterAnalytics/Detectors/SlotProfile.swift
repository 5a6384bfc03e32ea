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

    /// The values a slot is judged by, in ascending order: its day type's ring when that holds three
    /// values, else (while the meter is new) both day types' rings at that slot together, at most
    /// `memory + 2` values: the slot's last few whatever the day.
    private func withReference<T>(_ slot: Int, _ weekend: Bool, _ body: (UnsafeBufferPointer<Float>) -> T) -> T {
        let k = slot + (weekend ? slots : 0), other = slot + (weekend ? 0 : slots)
        return byDayType.withRing(k) { mine, ring in
            guard mine.count < 3 else { return body(mine) }
            let theirs = ring(other)
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: mine.count + theirs.count) { merged in
                var i = 0, j = 0
                for n in merged.indices {
                    if j >= theirs.count || (i < mine.count && mine[i] <= theirs[j]) { merged[n] = mine[i]; i += 1 } else { merged[n] = theirs[j]; j += 1 }
                }
                return body(UnsafeBufferPointer(merged))
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

    /// Asks memory for the ring a slot is judged by and learns into, ahead of its reading.
    public mutating func prefetch(slot: Int, weekend: Bool) {
        guard slots > 0, slot >= 0, slot < slots else { return }
        byDayType.prefetch(slot + (weekend ? slots : 0))
    }

    public mutating func learn(logValue x: Double, slot: Int, weekend: Bool) {
        guard slots > 0, slot >= 0, slot < slots else { return }
        byDayType.append(x, to: slot + (weekend ? slots : 0))
    }
}

/// `count` rings of `capacity` values in one buffer, oldest replaced first, each kept in ascending
/// order so its median and MAD take one pass. A ring is its ordered values (single precision: log
/// values to about 1e-7), then beside each value the low byte of its arrival number (which says the
/// oldest), its fill and its arrival count: 48 bytes for eight values, laid on one 64-byte cache line.
/// At a fleet's scale a reading's ring is not in the cache, and judging and learning a value then
/// wait on memory once, not twice.
private struct Rings: Sendable {
    let capacity: Int
    /// Bytes from one ring to the next.
    private let stride: Int
    /// Where ring 0 starts in `bytes`: the first 64-byte boundary of the buffer as allocated.
    private let base: Int
    private var bytes: [UInt8]
    private var agesAt: Int { 4 * capacity }
    private var fillAt: Int { 5 * capacity }
    private var arrivalsAt: Int { (5 * capacity + 4) & ~3 }

    init(capacity: Int, count: Int) {
        self.capacity = min(max(1, capacity), 255)
        let used = (5 * self.capacity + 4) & ~3 + 4
        stride = used <= 64 ? 64 : (used + 15) & ~15
        var bytes = [UInt8](repeating: 0, count: 63 + stride * count)
        let address = bytes.withUnsafeMutableBytes { Int(bitPattern: $0.baseAddress) }
        base = (64 - address % 64) % 64
        self.bytes = bytes
        storage = UInt(bitPattern: address)
    }

    /// Where `bytes` kept its values when last written: what `prefetch` asks for without reading the
    /// array's header (itself a wait on memory). A stale address (after a copy) only wastes the hint:
    /// a prefetch never faults.
    private var storage: UInt = 0

    /// A ring's values in ascending order, and a way to read any other ring's in the same access to
    /// the buffer (no copy of the rings is made, and no other ring is touched unless asked for).
    func withRing<T>(_ ring: Int, _ body: (UnsafeBufferPointer<Float>, (Int) -> UnsafeBufferPointer<Float>) -> T) -> T {
        let base = base, stride = stride, fillAt = fillAt
        return bytes.withUnsafeBytes { raw in
            // Rings start on 64-byte lines, so each ring's values are whole floats of the buffer.
            raw.withMemoryRebound(to: Float.self) { floats in
                func values(_ ring: Int) -> UnsafeBufferPointer<Float> {
                    let at = base + ring * stride
                    return UnsafeBufferPointer(rebasing: floats[(at / 4)..<(at / 4 + Int(raw[at + fillAt]))])
                }
                return body(values(ring), values)
            }
        }
    }

    /// Asks memory for a ring's line and the array's header (its count is read on the way to the ring).
    mutating func prefetch(_ ring: Int) {
        guard let start = UnsafeRawPointer(bitPattern: storage) else { return }
        Prefetch.array(elements: start, offset: base + ring * stride)
    }

    mutating func append(_ value: Double, to ring: Int) {
        let capacity = capacity, at = base + ring * stride, x = Float(value)
        let agesAt = agesAt, fillAt = fillAt, arrivalsAt = arrivalsAt
        storage = bytes.withUnsafeMutableBytes { raw in
            let r = UnsafeMutableRawBufferPointer(rebasing: raw[at..<(at + stride)])
            var n = Int(r[fillAt])
            let arrival = r.loadUnaligned(fromByteOffset: arrivalsAt, as: UInt32.self)
            if n == capacity {
                // Take out the oldest: the value that arrived `capacity` arrivals ago.
                let oldest = UInt8(truncatingIfNeeded: arrival &- UInt32(capacity))
                var k = 0
                while k < n - 1, r[agesAt + k] != oldest { k += 1 }
                while k < n - 1 {
                    r.storeBytes(of: r.load(fromByteOffset: 4 * (k + 1), as: Float.self), toByteOffset: 4 * k, as: Float.self)
                    r[agesAt + k] = r[agesAt + k + 1]
                    k += 1
                }
                n -= 1
            }
            var k = n
            while k > 0, r.load(fromByteOffset: 4 * (k - 1), as: Float.self) > x {
                r.storeBytes(of: r.load(fromByteOffset: 4 * (k - 1), as: Float.self), toByteOffset: 4 * k, as: Float.self)
                r[agesAt + k] = r[agesAt + k - 1]
                k -= 1
            }
            r.storeBytes(of: x, toByteOffset: 4 * k, as: Float.self)
            r[agesAt + k] = UInt8(truncatingIfNeeded: arrival)
            r[fillAt] = UInt8(n + 1)
            r.storeBytes(of: arrival &+ 1, toByteOffset: arrivalsAt, as: UInt32.self)
            return UInt(bitPattern: raw.baseAddress)
        }
    }
}
