import Foundation

/// A meter's value distribution in bounded memory: counts in log-spaced bins from 0.001 to 1000
/// (4% wide), decayed a little with every value so the last few weeks weigh most. Gives the
/// upper and lower envelope of what a meter does (its 1st and 99th percentiles) to within a bin.
public struct QuantileSketch: Sendable {
    static let bins = 360
    static let low = -3.0, high = 3.0
    private var counts = [Double](repeating: 0, count: QuantileSketch.bins)
    private var total = 0.0
    private var zeros = 0.0
    /// Weight kept per value added (half-life of about 1,400 values: four weeks of half hours).
    public var decay = 0.9995
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

/// The distribution of a meter's residuals against its own profile (log of value over expected), in
/// bounded memory: 0.05-wide bins from -6 to 6, decayed like `QuantileSketch`. Its upper tail says how
/// far above its usual a meter naturally goes, so a spike threshold fits a quiet meter and a lively
/// household alike.
public struct ResidualSketch: Sendable {
    static let bins = 240
    static let low = -6.0, high = 6.0
    private var counts = [Double](repeating: 0, count: ResidualSketch.bins)
    private var total = 0.0
    public var decay = 0.9995
    public private(set) var seen = 0

    public init() {}

    public mutating func add(_ r: Double) {
        guard r.isFinite else { return }
        seen += 1
        if seen % 256 == 0 {
            let f = pow(decay, 256)
            for i in counts.indices { counts[i] *= f }
            total *= f
        }
        total += 1
        let x = (r - Self.low) / (Self.high - Self.low) * Double(Self.bins)
        counts[Swift.min(Self.bins - 1, Swift.max(0, Int(x)))] += 1
    }

    /// The residual below which a share `q` fall (upper edge of its bin).
    public func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        var acc = 0.0
        let target = q * total
        for (i, c) in counts.enumerated() {
            acc += c
            if acc >= target { return Self.low + Double(i + 1) / Double(Self.bins) * (Self.high - Self.low) }
        }
        return Self.high
    }
}
