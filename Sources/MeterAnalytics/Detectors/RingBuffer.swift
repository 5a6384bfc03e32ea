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

    /// The values held, oldest first.
    public var ordered: [Double] { values.count < capacity ? values : Array(values[next...] + values[..<next]) }

    public mutating func append(_ v: Double) {
        if values.count < capacity { values.append(v) } else { values[next] = v }
        next = (next + 1) % capacity
    }

    /// Median and median absolute deviation of what is held.
    public func medianAndMAD() -> (median: Double, mad: Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let m = Self.median(values)
        return (m, Self.median(values.map { abs($0 - m) }))
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
