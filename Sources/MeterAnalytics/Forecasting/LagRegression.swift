import Foundation

/// Direct day-ahead regression: ridge least squares of each step on `LagFeatures`, with an
/// intercept per slot of the day and per weekday and every feature's weight varying smoothly over
/// the day (two harmonics). Uses the temperature when the input carries it for the horizon.
public struct LagRegression: ForecastModel {
    /// Ridge penalty per training row, on standardised features.
    public var penalty: Double

    public init(penalty: Double = 0.025) { self.penalty = penalty }

    public var name: String { "regression" }

    public func minimumHistory(season: Int) -> Int { 9 * season }

    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try fit(input, horizon: horizon).forecast(after: input, horizon: horizon)
    }

    public func fit(_ input: ForecastInput, horizon: Int) throws -> any FittedForecast {
        try checked(input, horizon: horizon)
        return Fitted(design: Design(input, useTemperature: input.hasTemperature(horizon: horizon)), penalty: penalty, history: input)
    }

    /// The regression's columns for one target step.
    struct Design: Sendable {
        let lags: LagFeatures
        let season: Int
        let harmonics = 5
        let basis: [[Double]]
        var width: Int { season + 7 + lags.count * harmonics }

        init(_ input: ForecastInput, useTemperature: Bool) {
            season = input.season
            lags = LagFeatures(season: input.season, useTemperature: useTemperature)
            let s = input.season
            basis = (0..<s).map { slot in
                let a = 2 * Double.pi * Double(slot) / Double(s)
                return [1, sin(a), cos(a), sin(2 * a), cos(2 * a)]
            }
        }

        func fill(_ x: [Double], _ input: ForecastInput, origin: Int, target: Int, core: inout [Double], row: inout [Double]) {
            for i in row.indices { row[i] = 0 }
            let slot = input.slot(target)
            row[slot] = 1
            row[season + input.weekday(target)] = 1
            lags.fill(x, input, origin: origin, target: target, into: &core)
            let b = basis[slot]
            var k = season + 7
            for c in core {
                for h in 0..<harmonics { row[k] = c * b[h]; k += 1 }
            }
        }
    }

    struct Fitted: FittedForecast {
        let design: Design
        let regression: RidgeRegression

        init(design: Design, penalty: Double, history input: ForecastInput) {
            self.design = design
            let x = input.values
            let n = x.count
            var core = [Double](repeating: 0, count: design.lags.count)
            var row = [Double](repeating: 0, count: design.width)
            var acc = RidgeRegression.Accumulator(width: design.width)
            for o in design.lags.trainingOrigins(historyCount: n, origin: n) {
                for t in o..<min(o + design.season, n) {
                    design.fill(x, input, origin: o, target: t, core: &core, row: &row)
                    acc.add(row, x[t])
                }
            }
            regression = RidgeRegression(acc, lambda: penalty * Double(acc.rows), unpenalised: 0..<design.season)
        }

        func forecast(after history: ForecastInput, horizon: Int) throws -> [Double] {
            var core = [Double](repeating: 0, count: design.lags.count)
            var row = [Double](repeating: 0, count: design.width)
            return DayByDay.forecast(history, horizon: horizon) { h, steps in
                let n = h.count
                return (n..<(n + steps)).map { t in
                    design.fill(h.values, h, origin: n, target: t, core: &core, row: &row)
                    return regression.predict(row)
                }
            }
        }
    }
}
