/// Makes forecasts with honest prediction intervals, the same way for every model.
///
/// It backtests inside the history: from each of the last `calibrationOrigins` days (at the same
/// time of day as the real origin) it forecasts with what was known then and keeps the errors. For
/// `auto` the candidate with the lowest mean absolute error wins (an average of the non-baseline
/// candidates competes too). The interval at level L adds to the point forecast the (1−L)/2 and
/// (1+L)/2 quantiles of the backtest errors at nearby steps ahead: split conformal prediction.
public struct Forecaster: Sendable {
    public var method: ForecastMethod
    public var calibrationOrigins: Int

    public init(method: ForecastMethod, calibrationOrigins: Int = 21) {
        self.method = method
        self.calibrationOrigins = max(1, calibrationOrigins)
    }

    public init(model name: String, calibrationOrigins: Int = 21) throws {
        self.init(method: try ForecastModels.method(name), calibrationOrigins: calibrationOrigins)
    }

    /// What a backtest found for one candidate: its forecasts' errors per origin and step.
    public struct Backtest: Sendable {
        public var model: String
        public var errors: [[Double]]
        public var meanAbsoluteError: Double
    }

    /// The forecast of the `horizon` steps after `input`, with intervals at each of `levels`
    /// (fractions such as 0.8 and 0.95).
    public func forecast(_ input: ForecastInput, horizon: Int, levels: [Double] = [0.8, 0.95]) throws -> Forecast {
        try forecastWithBacktests(input, horizon: horizon, levels: levels).forecast
    }

    public func forecastWithBacktests(_ input: ForecastInput, horizon: Int, levels: [Double]) throws -> (forecast: Forecast, backtests: [Backtest]) {
        guard horizon >= 1 else { throw ForecastError.badHorizon(horizon) }
        for level in levels where !(level > 0 && level < 1) { throw ForecastError.badLevel(level * 100) }
        let candidates: [any ForecastModel]
        switch method {
        case let .model(m): candidates = [m]
        case let .auto(list): candidates = list
        }
        let need = candidates.map { $0.minimumHistory(season: input.season) }.min() ?? input.season
        guard input.count >= need else { throw ForecastError.tooShort(have: input.count, need: need) }

        // Backtest origins: whole days back from the end, leaving room for the horizon.
        let s = input.season
        let span = ((horizon + s - 1) / s) * s
        let origins = (0..<calibrationOrigins).map { input.count - span - $0 * s }.filter { $0 > 0 }
        var forecastsByModel: [[[Double]]] = []
        var usable: [any ForecastModel] = []
        // Each candidate is fitted once on the history before the earliest backtest origin and
        // forecasts from every origin with what was known there (models that carry no parameters
        // beyond their history refit at each origin).
        let earliest = origins.min() ?? 0
        for model in candidates {
            guard earliest >= model.minimumHistory(season: s),
                  let fitted = try? model.fit(input.prefix(earliest), horizon: horizon) else { continue }
            let runs = origins.compactMap { o -> [Double]? in
                try? fitted.forecast(after: input.prefix(o), horizon: horizon)
            }
            guard runs.count == origins.count, !origins.isEmpty else { continue }
            forecastsByModel.append(runs)
            usable.append(model)
        }
        var backtests: [Backtest] = []
        func record(_ name: String, _ runs: [[Double]]) {
            let errors = zip(origins, runs).map { o, f in (0..<horizon).map { input.values[o + $0] - f[$0] } }
            let flat = errors.flatMap { $0 }
            let mae = flat.isEmpty ? .infinity : flat.reduce(0) { $0 + abs($1) } / Double(flat.count)
            backtests.append(Backtest(model: name, errors: errors, meanAbsoluteError: mae))
        }
        for (m, runs) in zip(usable, forecastsByModel) { record(m.name, runs) }
        var chosen: any ForecastModel
        var label: String
        if case .auto = method {
            let members = zip(usable, forecastsByModel).filter { !($0.0 is SeasonalNaive) && !($0.0 is SeasonalARIMA) }
            if members.count >= 2 {
                record("ensemble", members[0].1.indices.map { i in ModelAverage.mean(members.map { $0.1[i] }) })
            }
            guard let best = backtests.min(by: { $0.meanAbsoluteError < $1.meanAbsoluteError }) else {
                throw ForecastError.tooShort(have: input.count, need: need + span)
            }
            chosen = best.model == "ensemble" ? ModelAverage(members.map { $0.0 }) : usable.first { $0.name == best.model } ?? SeasonalNaive()
            label = "auto(\(best.model))"
        } else {
            chosen = candidates[0]
            label = chosen.name
        }
        var mean = try chosen.pointForecast(input, horizon: horizon)
        let errors = backtests.first { $0.model == chosen.name }?.errors ?? []
        var intervals = levels.map { level in
            ConformalInterval.bounds(mean: mean, errors: errors, level: level, neighbourhood: max(1, s / 8))
        }
        // A series that has never gone below zero (energy drawn) is not forecast to.
        if input.values.allSatisfy({ $0 >= 0 }) {
            mean = mean.map { max(0, $0) }
            for i in intervals.indices {
                intervals[i].lower = intervals[i].lower.map { max(0, $0) }
                intervals[i].upper = intervals[i].upper.map { max(0, $0) }
            }
        }
        return (Forecast(model: label, mean: mean, intervals: intervals), backtests)
    }
}
