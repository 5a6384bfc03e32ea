import Foundation

/// A meter's value distribution in bounded memory: counts in log-spaced bins from 0.001 to 1000
/// (4% wide), decayed a little with every value so the last few months weigh most. Gives the
/// upper and lower envelope of what a meter does (its 1st and 99th percentiles) to within a bin.
public struct QuantileSketch: Sendable {
    static let bins = 360
    static let low = -3.0, high = 3.0
    private var counts = [Double](repeating: 0, count: QuantileSketch.bins)
    private var total = 0.0
    private var zeros = 0.0
    /// Weight kept per value added (half-life of about 20,000 values: some 14 months of half hours).
    public var decay = 0.99997
    public private(set) var seen = 0

    public init() {}

    public mutating func add(_ v: Double) {
        guard v.isFinite else { return }
        seen += 1
        if seen % 256 == 0 {
            let f = pow(decay, 256)
            for i in counts.indices { counts[i] *= f }
            total *= f
            zeros *= f
        }
        total += 1
        if v <= 0 { zeros += 1; return }
        counts[Self.bin(v)] += 1
    }

    static func bin(_ v: Double) -> Int {
        let x = (log10(v) - low) / (high - low) * Double(bins)
        return Swift.min(bins - 1, Swift.max(0, Int(x)))
    }

    /// The value below which a share `q` of the positive values fall (upper edge of its bin).
    public func quantile(_ q: Double) -> Double? {
        let positive = total - zeros
        guard positive > 0 else { return nil }
        var acc = 0.0
        let target = q * positive
        for (i, c) in counts.enumerated() {
            acc += c
            if acc >= target { return pow(10, Self.low + Double(i + 1) / Double(Self.bins) * (Self.high - Self.low)) }
        }
        return pow(10, Self.high)
    }
}
