/// Accuracy of forecasts against what happened, summed over folds so that a table row is the mean
/// over every fold of a data set: MASE (mean absolute error over the in-sample mean absolute error
/// of the seasonal naive forecast), and how often each interval held the actual value.
public struct ForecastScore: Sendable, Equatable {
    public var folds = 0
    public var points = 0
    public var maseSum = 0.0
    public var covered80 = 0
    public var covered95 = 0
    public var seconds = 0.0

    public init() {}

    public var mase: Double { folds == 0 ? .nan : maseSum / Double(folds) }
    public var coverage80: Double { points == 0 ? .nan : Double(covered80) / Double(points) }
    public var coverage95: Double { points == 0 ? .nan : Double(covered95) / Double(points) }
    public var secondsPerFit: Double { folds == 0 ? .nan : seconds / Double(folds) }

    /// Scores one fold. `actual` may hold nil where the meter sent nothing; those steps are skipped.
    public mutating func add(history: [Double], season: Int, actual: [Double?], forecast: Forecast, seconds: Double) {
        guard let scale = Self.seasonalNaiveScale(history, season: season), scale > 0 else { return }
        var abs = 0.0, n = 0
        let i80 = forecast.interval(level: 0.8), i95 = forecast.interval(level: 0.95)
        for (h, a) in actual.enumerated() where h < forecast.mean.count {
            guard let a else { continue }
            abs += Swift.abs(a - forecast.mean[h])
            n += 1
            if let i80, i80.lower[h] <= a, a <= i80.upper[h] { covered80 += 1 }
            if let i95, i95.lower[h] <= a, a <= i95.upper[h] { covered95 += 1 }
        }
        guard n > 0 else { return }
        folds += 1
        points += n
        maseSum += abs / Double(n) / scale
        self.seconds += seconds
    }

    /// Mean absolute difference between each value and the one a season before.
    public static func seasonalNaiveScale(_ y: [Double], season: Int) -> Double? {
        guard y.count > season else { return nil }
        var s = 0.0
        for t in season..<y.count { s += Swift.abs(y[t] - y[t - season]) }
        return s / Double(y.count - season)
    }
}
