import Foundation

/// Scoring by the rules of the Numenta Anomaly Benchmark's standard profile: each labelled window
/// scores its earliest detection on a scaled sigmoid of how early it came (1 at the window's start,
/// 0 at its end), a window with none costs `fnWeight`, and a detection outside every window costs
/// `fpWeight` scaled by how far it trails the last window (the full weight when no window precedes
/// it). The first 15% of a series (at most 750 points) is probationary and not scored. A score is
/// normalised so that detecting nothing is 0 and detecting every window at its start is 100.
public struct NABScorer: Sendable {
    public var tpWeight = 1.0
    public var fpWeight = 0.11
    public var fnWeight = 1.0
    public var probationPercent = 0.15

    public init() {}

    /// NAB's scaled sigmoid of a relative position (-1 window start, 0 window end, > 0 past it).
    public static func scaledSigmoid(_ position: Double) -> Double {
        position >= 3 ? -1 : 2 / (1 + exp(5 * position)) - 1
    }

    public func probationLength(_ n: Int) -> Int {
        Int(min((probationPercent * Double(n)).rounded(.down), probationPercent * 5000))
    }

    /// The raw score of detections (point indices) on a series of `count` points with windows given
    /// as inclusive index ranges, in time order.
    public func rawScore(count: Int, windows: [ClosedRange<Int>], detections: Set<Int>) -> Double {
        let probation = probationLength(count)
        let maxTP = Self.scaledSigmoid(-1)
        var windowScore = [Double?](repeating: nil, count: windows.count)
        var fp = 0.0
        var w = 0
        var previous: ClosedRange<Int>?
        for i in detections.sorted() where i >= probation && i < count {
            while w < windows.count, windows[w].upperBound < i { previous = windows[w]; w += 1 }
            if w < windows.count, windows[w].contains(i) {
                let width = Double(windows[w].count)
                let position = -Double(windows[w].upperBound - i + 1) / width
                let s = Self.scaledSigmoid(position) * tpWeight / maxTP
                windowScore[w] = max(windowScore[w] ?? -.infinity, s)
            } else {
                let position = previous.map { Double(i - $0.upperBound) / Double(max(1, $0.count - 1)) } ?? 3
                fp += Self.scaledSigmoid(position) * fpWeight
            }
        }
        var total = fp
        for (k, window) in windows.enumerated() where window.upperBound >= probation {
            total += windowScore[k] ?? -fnWeight
        }
        return total
    }

    /// The score of detecting nothing, and of detecting every window at its first point.
    public func bounds(count: Int, windows: [ClosedRange<Int>]) -> (null: Double, perfect: Double) {
        let scored = windows.filter { $0.upperBound >= probationLength(count) }.count
        return (-fnWeight * Double(scored), tpWeight * Double(scored))
    }

    /// 100 * (raw - null) / (perfect - null); nil when the series has no window to find.
    public static func normalised(raw: Double, null: Double, perfect: Double) -> Double? {
        perfect > null ? 100 * (raw - null) / (perfect - null) : nil
    }
}

/// NAB's windowed Gaussian baseline: each value's anomaly score is one minus its tail probability
/// under a normal distribution fitted to the previous values in a sliding window (refitted every
/// `step` values).
public struct WindowedGaussian: Sendable {
    public var window = 6400
    public var step = 100

    public init() {}

    public func scores(_ values: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        var mean = 0.0, sd = 0.0
        for i in values.indices {
            if i > 0 && (i % step == 0 || i < step) {
                let lo = max(0, i - window)
                let slice = values[lo..<i]
                mean = slice.reduce(0, +) / Double(slice.count)
                sd = (slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(slice.count)).squareRoot()
            }
            guard i > 0, sd > 0 else { continue }
            let z = abs(values[i] - mean) / sd
            // One-sided tail probability: erfc(z / sqrt 2) / 2.
            out[i] = 1 - erfc(z / 2.0.squareRoot()) / 2
        }
        return out
    }
}
