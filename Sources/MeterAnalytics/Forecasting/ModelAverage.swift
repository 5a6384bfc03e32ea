/// The mean of several models' point forecasts. Combinations of unlike models (a decomposition,
/// a regression, a network) are usually more accurate than any one of them.
public struct ModelAverage: ForecastModel {
    public var members: [any ForecastModel]

    public init(_ members: [any ForecastModel]) { self.members = members }

    public var name: String { "ensemble" }

    public func minimumHistory(season: Int) -> Int { members.map { $0.minimumHistory(season: season) }.max() ?? season }

    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try checked(input, horizon: horizon)
        return try fit(input, horizon: horizon).forecast(after: input, horizon: horizon)
    }

    public func fit(_ input: ForecastInput, horizon: Int) throws -> any FittedForecast {
        try checked(input, horizon: horizon)
        return Fitted(members: try members.map { try $0.fit(input, horizon: horizon) })
    }

    struct Fitted: FittedForecast {
        let members: [any FittedForecast]
        func forecast(after history: ForecastInput, horizon: Int) throws -> [Double] {
            ModelAverage.mean(try members.map { try $0.forecast(after: history, horizon: horizon) })
        }
    }

    static func mean(_ forecasts: [[Double]]) -> [Double] {
        guard let first = forecasts.first else { return [] }
        var out = first
        for f in forecasts.dropFirst() { for i in out.indices { out[i] += f[i] } }
        return out.map { $0 / Double(forecasts.count) }
    }
}
