/// The baseline: each step repeats the value one season earlier (a day, or a week with
/// `weekly: true`).
public struct SeasonalNaive: ForecastModel {
    public var weekly: Bool

    public init(weekly: Bool = false) { self.weekly = weekly }

    public var name: String { weekly ? "snaive-week" : "snaive" }

    public func minimumHistory(season: Int) -> Int { weekly ? 7 * season : season }

    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try checked(input, horizon: horizon)
        let period = weekly ? input.week : input.season
        let n = input.count
        return (0..<horizon).map { h in input.values[n - period + h % period] }
    }
}
