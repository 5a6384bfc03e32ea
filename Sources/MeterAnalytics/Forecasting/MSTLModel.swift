/// MSTL decomposition with daily and weekly seasonality, exponential smoothing (AutoETS-style) of
/// the seasonally adjusted series, and each seasonal carried forward from its extended last cycle.
public struct MSTLModel: ForecastModel {
    public init() {}

    public var name: String { "mstl" }

    public func minimumHistory(season: Int) -> Int { 2 * season }

    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try checked(input, horizon: horizon)
        let periods = input.count >= 2 * input.week ? [input.season, input.week] : [input.season]
        let mstl = MSTLDecomposition(input.values, periods: periods)
        let ets = ExponentialSmoothing.auto(mstl.adjusted)
        let trend = ets.forecast(horizon)
        return (0..<horizon).map { trend[$0] + mstl.seasonalAhead($0) }
    }
}
