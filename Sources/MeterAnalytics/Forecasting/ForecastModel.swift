/// A forecasting method: fits on a history and gives point forecasts for the steps after it.
///
/// Prediction intervals are not each model's own business: `Forecaster` calibrates every model the
/// same way, from its errors on rolling origins inside the fitting window, so that intervals are
/// honest whatever the model.
public protocol ForecastModel: Sendable {
    /// Short name used on the command line and in reports (`snaive`, `mstl`, `sarima`, `mlp`, ...).
    var name: String { get }
    /// The fewest history steps the model needs.
    func minimumHistory(season: Int) -> Int
    /// Point forecasts of the next `horizon` steps after `input.values`.
    func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double]
    /// Estimates the model's parameters once, to forecast from this history or any longer one
    /// (backtests use it to forecast from several origins without refitting).
    func fit(_ input: ForecastInput, horizon: Int) throws -> any FittedForecast
}

/// A model's estimated parameters, applied to a history that extends the one it was fitted on
/// (at the same time of day).
public protocol FittedForecast: Sendable {
    func forecast(after history: ForecastInput, horizon: Int) throws -> [Double]
}

/// For models whose state is the history itself (decompositions, smoothing, ARIMA): refits on each history.
struct Refit: FittedForecast {
    let model: any ForecastModel
    func forecast(after history: ForecastInput, horizon: Int) throws -> [Double] {
        try model.pointForecast(history, horizon: horizon)
    }
}

extension ForecastModel {
    public func fit(_ input: ForecastInput, horizon: Int) throws -> any FittedForecast {
        try checked(input, horizon: horizon)
        return Refit(model: self)
    }
}

extension ForecastModel {
    func checked(_ input: ForecastInput, horizon: Int) throws {
        guard horizon >= 1 else { throw ForecastError.badHorizon(horizon) }
        let need = minimumHistory(season: input.season)
        guard input.count >= need else { throw ForecastError.tooShort(have: input.count, need: need) }
    }
}

/// Models that forecast a day at a time (their lags reach back at least one day) go further by
/// feeding their own forecasts back as history.
enum DayByDay {
    static func forecast(_ input: ForecastInput, horizon: Int, block: (ForecastInput, Int) throws -> [Double]) rethrows -> [Double] {
        var extended = input
        var out: [Double] = []
        out.reserveCapacity(horizon)
        while out.count < horizon {
            let step = min(input.season, horizon - out.count)
            let next = try block(extended, step)
            out += next
            extended.values += next
        }
        return out
    }
}
