/// Prediction intervals from backtest errors (split conformal prediction): at each step ahead the
/// interval adds to the point forecast the lower and upper error quantiles of the backtests at steps
/// within `neighbourhood` of it. With no backtest errors the interval is the point itself.
enum ConformalInterval {
    static func bounds(mean: [Double], errors: [[Double]], level: Double, neighbourhood: Int) -> PredictionInterval {
        let lowerQ = (1 - level) / 2, upperQ = (1 + level) / 2
        var lower = mean, upper = mean
        for h in mean.indices {
            var pool: [Double] = []
            for run in errors {
                let lo = max(0, h - neighbourhood), hi = min(run.count - 1, h + neighbourhood)
                if lo <= hi { pool += run[lo...hi] }
            }
            guard !pool.isEmpty else { continue }
            pool.sort()
            lower[h] = mean[h] + ConformalQuantile.of(pool, lowerQ)
            upper[h] = mean[h] + ConformalQuantile.of(pool, upperQ)
        }
        return PredictionInterval(level: level, lower: lower, upper: upper)
    }

}

/// The q-quantile of sorted values with linear interpolation between order statistics.
public enum ConformalQuantile {
    public static func of(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let pos = q * Double(sorted.count - 1)
        let i = Int(pos)
        let frac = pos - Double(i)
        return i + 1 < sorted.count ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i]
    }
}
