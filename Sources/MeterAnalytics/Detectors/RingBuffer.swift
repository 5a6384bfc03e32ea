/// The last `capacity` values seen, oldest overwritten first: the bounded memory of a detector.
public struct RingBuffer: Sendable {
    public private(set) var values: [Double] = []
    private var next = 0
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        values.reserveCapacity(self.capacity)
    }

    public var count: Int { values.count }

    /// Asks memory for the values (a detector's window a few readings ahead).
    public mutating func prefetch() {
        values.withUnsafeBufferPointer { b in
            guard let start = b.baseAddress else { return }
            let raw = UnsafeRawPointer(start)
            for offset in stride(from: -Prefetch.arrayHeader, to: MemoryLayout<Double>.stride * capacity, by: 64) { Prefetch.line(raw + offset) }
        }
    }

    /// The values held, oldest first.
    public var ordered: [Double] { values.count < capacity ? values : Array(values[next...] + values[..<next]) }

    public mutating func append(_ v: Double) {
        if values.count < capacity { values.append(v) } else { values[next] = v }
        next = (next + 1) % capacity
    }

    /// Median and median absolute deviation of what is held.
    public func medianAndMAD() -> (median: Double, mad: Double) {
        values.withUnsafeBufferPointer { Self.medianAndMAD($0) }
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Median and median absolute deviation of a few values, without allocating (small buffers are
    /// sorted on the stack). NaN when empty.
    static func medianAndMAD(_ v: UnsafeBufferPointer<Double>) -> (median: Double, mad: Double) {
        let n = v.count
        guard n > 0 else { return (.nan, .nan) }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { s in
            for i in 0..<n { s[i] = v[i] }
            insertionSort(s)
            return medianAndMAD(sorted: UnsafeBufferPointer(s))
        }
    }

    /// The same for values already in ascending order, in one pass: the deviations below and above
    /// the median are two ascending runs, merged only as far as their middle.
    static func medianAndMAD<F: BinaryFloatingPoint>(sorted v: UnsafeBufferPointer<F>) -> (median: Double, mad: Double) {
        let n = v.count
        guard n > 0 else { return (.nan, .nan) }
        let s = { (i: Int) in Double(v[i]) }
        if n == 8 {
            // A full slot ring, the usual case, without branches: the k-th smallest of two ascending
            // runs is the least, over every way of taking k from the two, of the largest taken.
            let m = (s(3) + s(4)) / 2
            let a0 = m - s(3), a1 = m - s(2), a2 = m - s(1), a3 = m - s(0)
            let b0 = s(4) - m, b1 = s(5) - m, b2 = s(6) - m, b3 = s(7) - m
            let fourth = min(min(b3, a3), min(min(max(a0, b2), max(a1, b1)), max(a2, b0)))
            let fifth = min(min(max(a0, b3), max(a1, b2)), min(max(a2, b1), max(a3, b0)))
            return (m, (fourth + fifth) / 2)
        }
        let m = n % 2 == 1 ? s(n / 2) : (s(n / 2 - 1) + s(n / 2)) / 2
        // Left run: m - s[i] for i going down from the middle; right run: s[j] - m going up. With an
        // odd count the median's own deviation (zero) is the first taken.
        var i = n / 2 - 1, j = n % 2 == 1 ? n / 2 + 1 : n / 2
        var taken = n % 2, last = 0.0, lower = 0.0
        let wanted = n / 2 // index of the upper middle deviation
        while taken <= wanted {
            let d: Double
            if j >= n || (i >= 0 && m - s(i) <= s(j) - m) { d = m - s(i); i -= 1 } else { d = s(j) - m; j += 1 }
            if taken == wanted - 1 { lower = d }
            last = d
            taken += 1
        }
        return (m, n % 2 == 1 ? last : (lower + last) / 2)
    }

    /// The second smallest and second largest of some values, each value counted as often as it
    /// occurs (infinite with fewer than two): four lanes at a time without branches, as a window of
    /// readings comes in no order a branch predictor could learn.
    static func secondExtremes(_ v: UnsafeBufferPointer<Double>) -> (low: Double, high: Double) {
        var low1 = SIMD4<Double>(repeating: .infinity), low2 = low1
        var high1 = SIMD4<Double>(repeating: -.infinity), high2 = high1
        let whole = v.count / 4 * 4
        if let start = v.baseAddress {
            let raw = UnsafeRawPointer(start)
            var i = 0
            while i < whole {
                let x = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Double>.stride, as: SIMD4<Double>.self)
                // A value between a lane's first and second extreme becomes its second; beyond the first, its first.
                let above = low1.replacing(with: x, where: x .> low1), below = high1.replacing(with: x, where: x .< high1)
                low2.replace(with: above, where: above .< low2)
                low1.replace(with: x, where: x .< low1)
                high2.replace(with: below, where: below .> high2)
                high1.replace(with: x, where: x .> high1)
                i += 4
            }
        }
        // The two extremes of all values are among the lanes' two extremes and the values left over.
        var l1 = Double.infinity, l2 = Double.infinity, h1 = -Double.infinity, h2 = -Double.infinity
        func low(_ x: Double) {
            l2 = Swift.min(l2, Swift.max(l1, x))
            l1 = Swift.min(l1, x)
        }
        func high(_ x: Double) {
            h2 = Swift.max(h2, Swift.min(h1, x))
            h1 = Swift.max(h1, x)
        }
        for k in 0..<4 {
            low(low1[k]); low(low2[k])
            high(high1[k]); high(high2[k])
        }
        for i in whole..<v.count {
            low(v[i])
            high(v[i])
        }
        return (l2, h2)
    }

    static func insertionSort(_ s: UnsafeMutableBufferPointer<Double>) {
        guard s.count > 1 else { return }
        for i in 1..<s.count {
            let x = s[i]
            var j = i - 1
            while j >= 0, s[j] > x { s[j + 1] = s[j]; j -= 1 }
            s[j + 1] = x
        }
    }
}
