/// One quantile of everything a stream has shown, in constant memory: Jain and Chlamtac's P²
/// algorithm, five markers (the least value, the quantile, the greatest and one halfway to each)
/// moved by piecewise-parabolic steps as values arrive. Nothing decays: it describes a meter's whole
/// learned history, so a slow drift cannot walk it along. Exact for the first five values; within a
/// fraction of the local spacing of values after that.
public struct StreamingQuantile: Sendable {
    public let p: Double
    private var heights: InlineArray<5, Double> = .init(repeating: 0)
    /// Markers' positions (1-based ranks).
    private var positions: InlineArray<5, Double> = [1, 2, 3, 4, 5]
    public private(set) var count = 0

    public init(_ p: Double) {
        self.p = min(max(p, 0), 1)
    }

    /// The estimate, nil before five values.
    public var value: Double? { count >= 5 ? heights[2] : nil }

    /// Everything the estimator knows, in eleven numbers (its markers' heights and positions, then
    /// the count): what a store keeps so a later process continues it.
    public var state: [Double] {
        var out: [Double] = []
        out.reserveCapacity(11)
        for i in 0..<5 { out.append(heights[i]) }
        for i in 0..<5 { out.append(positions[i]) }
        out.append(Double(count))
        return out
    }

    /// Continues from a `state`; one that is not a valid estimator's (the wrong length, not finite,
    /// markers out of order) starts afresh.
    public init(_ p: Double, state: [Double]) {
        self.init(p)
        guard state.count == 11, state.allSatisfy(\.isFinite), let n = Int(exactly: state[10]), n >= 0 else { return }
        for i in 1..<max(1, min(n, 5)) where state[i] < state[i - 1] { return }
        if n >= 5 {
            for i in 1..<5 where state[5 + i] <= state[4 + i] { return }
            guard state[5] == 1, Int(exactly: state[9]) == n else { return }
        } else {
            guard state[5..<10].elementsEqual([1, 2, 3, 4, 5]) else { return }
        }
        for i in 0..<5 {
            heights[i] = state[i]
            positions[i] = state[5 + i]
        }
        count = min(n, Int(Int32.max))
    }

    public mutating func add(_ x: Double) {
        guard x.isFinite else { return }
        if count < 5 {
            // Insertion into the first five, kept sorted.
            var i = count
            while i > 0, heights[i - 1] > x { heights[i] = heights[i - 1]; i -= 1 }
            heights[i] = x
            count += 1
            return
        }
        count += 1
        let cell: Int
        if x < heights[0] { heights[0] = x; cell = 0 }
        else if x >= heights[4] { heights[4] = x; cell = 3 }
        else if x < heights[1] { cell = 0 }
        else if x < heights[2] { cell = 1 }
        else if x < heights[3] { cell = 2 }
        else { cell = 3 }
        for i in (cell + 1)..<5 { positions[i] += 1 }
        // Where the markers should be after `count` values.
        let n = Double(count - 1)
        let desired: InlineArray<5, Double> = [1, 1 + n * p / 2, 1 + n * p, 1 + n * (1 + p) / 2, Double(count)]
        for i in 1...3 {
            let d = desired[i] - positions[i]
            guard (d >= 1 && positions[i + 1] - positions[i] > 1) || (d <= -1 && positions[i - 1] - positions[i] < -1) else { continue }
            let s: Double = d > 0 ? 1 : -1
            let (q0, q1, q2) = (heights[i - 1], heights[i], heights[i + 1])
            let (n0, n1, n2) = (positions[i - 1], positions[i], positions[i + 1])
            let parabolic = q1 + s / (n2 - n0) * ((n1 - n0 + s) * (q2 - q1) / (n2 - n1) + (n2 - n1 - s) * (q1 - q0) / (n1 - n0))
            if q0 < parabolic && parabolic < q2 {
                heights[i] = parabolic
            } else {
                let j = s > 0 ? i + 1 : i - 1
                heights[i] = q1 + s * (heights[j] - q1) / (positions[j] - n1)
            }
            positions[i] += s
        }
    }
}
