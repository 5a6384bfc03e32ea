/// Splits a series into a trend, one seasonal component per period (a day and a week, say) and a
/// remainder, after Bandara, Hyndman and Bergmeir's MSTL: STL (Cleveland et al.) applied to each
/// period in turn, repeated so each seasonal is estimated with the others removed.
///
/// Each seasonal component is also extended one cycle past the end, which is what a forecast uses.
struct MSTLDecomposition: Sendable {
    var trend: [Double]
    /// Per period, its component over the history followed by one more cycle.
    var seasonals: [(period: Int, values: [Double])]
    var count: Int

    /// The series with every seasonal removed (trend plus remainder).
    var adjusted: [Double] = []

    init(_ y: [Double], periods: [Int], iterations: Int = 2) {
        let n = y.count
        let usable = periods.filter { $0 >= 2 && 2 * $0 <= n }.sorted()
        count = n
        var seasonals = usable.map { (period: $0, values: [Double](repeating: 0, count: n + $0)) }
        var trend = y
        var deseasoned = y
        for _ in 0..<max(1, usable.isEmpty ? 1 : iterations) {
            for (k, p) in usable.enumerated() {
                var partial = deseasoned
                for i in 0..<n { partial[i] += seasonals[k].values[i] }
                let stl = Self.stl(partial, period: p, seasonalWindow: 7 + 4 * (k + 1))
                seasonals[k].values = stl.seasonal
                trend = stl.trend
                for i in 0..<n { deseasoned[i] = partial[i] - stl.seasonal[i] }
            }
        }
        if usable.isEmpty { trend = Loess.smooth(y, window: max(3, n / 4)) }
        self.trend = trend
        self.seasonals = seasonals
        adjusted = deseasoned
    }

    /// The seasonal sum at step `n + h`: each component's last cycle repeated (its extension past
    /// the end is a local linear extrapolation, too jumpy to forecast with on noisy meters).
    func seasonalAhead(_ h: Int) -> Double {
        seasonals.reduce(0) { sum, s in sum + s.values[count - s.period + h % s.period] }
    }

    /// One STL pass (no robustness weights): seasonal (extended one cycle) and trend.
    static func stl(_ y: [Double], period p: Int, seasonalWindow: Int, inner: Int = 2) -> (seasonal: [Double], trend: [Double]) {
        let n = y.count
        var trend = [Double](repeating: 0, count: n)
        var seasonal = [Double](repeating: 0, count: n + p)
        let trendWindow = oddAtLeast(1.5 * Double(p) / (1 - 1.5 / Double(seasonalWindow)))
        let lowPassWindow = oddAtLeast(Double(p) + 1)
        for _ in 0..<inner {
            let detrended = (0..<n).map { y[$0] - trend[$0] }
            // Cycle-subseries smoothing, extended one cycle before and after.
            var cycles = [Double](repeating: 0, count: n + 2 * p)
            for phase in 0..<p {
                let sub = Array(stride(from: phase, to: n, by: p)).map { detrended[$0] }
                guard !sub.isEmpty else { continue }
                let at = (-1...sub.count).map(Double.init)
                let smoothed = Loess.smooth(sub, window: seasonalWindow, at: at, degree: 0)
                for (j, v) in smoothed.enumerated() {
                    let i = phase + j * p
                    if i < cycles.count { cycles[i] = v }
                }
            }
            // Low-pass filter of the cycles: moving averages p, p, 3, then loess.
            var low = movingAverage(movingAverage(movingAverage(cycles, p), p), 3)
            low = Loess.smooth(low, window: lowPassWindow, jump: lowPassWindow / 10)
            for i in 0..<(n + p) {
                let li = min(i, low.count - 1)
                seasonal[i] = cycles[i + p] - low[max(0, li)]
            }
            let deseasoned = (0..<n).map { y[$0] - seasonal[$0] }
            trend = Loess.smooth(deseasoned, window: trendWindow, jump: trendWindow / 10)
        }
        return (seasonal, trend)
    }

    static func movingAverage(_ x: [Double], _ w: Int) -> [Double] {
        guard w > 1, x.count >= w else { return x }
        var out = [Double](repeating: 0, count: x.count - w + 1)
        var s = x[0..<w].reduce(0, +)
        out[0] = s / Double(w)
        for i in 1..<out.count {
            s += x[i + w - 1] - x[i - 1]
            out[i] = s / Double(w)
        }
        return out
    }

    static func oddAtLeast(_ v: Double) -> Int {
        var k = Int(v.rounded(.up))
        if k % 2 == 0 { k += 1 }
        return max(3, k)
    }
}
