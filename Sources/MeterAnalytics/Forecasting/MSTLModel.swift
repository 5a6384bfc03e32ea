/// MSTL decomposition with daily and weekly seasonality, exponential smoothing (AutoETS-style) of
/// the seasonally adjusted series, and each seasonal carried forward from its extended last cycle.
public struct MSTLModel: ForecastModel {
    public init() {}

    public var name: String { "mstl" }

    public func minimumHistory(season: Int) -> Int { 2 * season }

    /// Refits at every origin: carrying an old decomposition forward loses much of its accuracy,
    /// so backtests must refit too for the intervals to describe the forecasts really made.
    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try checked(input, horizon: horizon)
        let periods = input.count >= 2 * input.week ? [input.season, input.week] : [input.season]
        let mstl = MSTLDecomposition(input.values, periods: periods)
        let trend = ExponentialSmoothing.auto(mstl.adjusted).forecast(horizon)
        return (0..<horizon).map { trend[$0] + mstl.seasonalAhead($0) }
    }
}
