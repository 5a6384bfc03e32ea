import Foundation
@testable import MeterAnalytics
import Testing

/// A load-like series: a daily shape, a weekend dip, a slow drift and noise, with a known future.
func syntheticLoad(days: Int, seed: UInt64 = 3) -> [Double] {
    var rng = QuantileMLP.Xorshift(seed: seed)
    return (0..<(days * 48)).map { t in
        let slot = Double(t % 48), day = t / 48
        let daily = 1 + 0.6 * sin(2 * .pi * (slot - 14) / 48) + 0.3 * exp(-pow(slot - 38, 2) / 8)
        let weekend = day % 7 >= 5 ? 0.75 : 1.0
        return 10 * daily * weekend + 0.002 * Double(t) / 48 + 0.4 * rng.normal()
    }
}

@Suite struct ForecastModelTests {
    let series = syntheticLoad(days: 71)

    func mae(_ model: any ForecastModel, holdout: Int = 48) throws -> Double {
        let input = ForecastInput(values: Array(series.dropLast(holdout)))
        let f = try model.pointForecast(input, horizon: holdout)
        #expect(f.count == holdout)
        let finite = f.allSatisfy { $0.isFinite }
        #expect(finite)
        return zip(f, series.suffix(holdout)).map { abs($0 - $1) }.reduce(0, +) / Double(holdout)
    }

    @Test func everyModelBeatsTheSeasonalNaiveOnARegularLoad() throws {
        // Monday follows a weekend here, so the day-before naive forecast is badly off.
        let naive = try mae(SeasonalNaive())
        for model in [MSTLModel(), LagRegression(), QuantileMLP(epochs: 15), ModelAverage([MSTLModel(), LagRegression()])] as [any ForecastModel] {
            let m = try mae(model)
            #expect(m < naive, "\(model.name) MAE \(m) against seasonal naive \(naive)")
        }
    }

    @Test func seasonalARIMARecoversAnAutoregressiveProcess() throws {
        var rng = QuantileMLP.Xorshift(seed: 11)
        var y = [Double](repeating: 0, count: 48 * 20)
        for t in 1..<y.count { y[t] = 0.7 * y[t - 1] + rng.normal() }
        let fit = SeasonalARIMA(orders: .init(p: 1, q: 0, seasonalP: 0, seasonalQ: 1)).fit(ForecastInput(values: y))
        let phi = fit.ar.first { $0.lag == 1 }?.value ?? 0
        #expect(abs(phi - 0.7) < 0.1, "φ₁ = \(phi)")
        let auto = SeasonalARIMA().fit(ForecastInput(values: y))
        #expect(auto.orders.p >= 1)
    }

    @Test func seasonalNaiveRepeatsTheLastDayOrWeek() throws {
        let input = ForecastInput(values: (0..<(48 * 7)).map(Double.init))
        #expect(try SeasonalNaive().pointForecast(input, horizon: 3) == [288, 289, 290])
        #expect(try SeasonalNaive(weekly: true).pointForecast(input, horizon: 2) == [0, 1])
    }

    @Test func tooShortAHistoryIsRefusedWithWhatIsNeeded() {
        #expect(throws: ForecastError.tooShort(have: 10, need: 48 * 9)) {
            try LagRegression().pointForecast(ForecastInput(values: Array(repeating: 1, count: 10)), horizon: 4)
        }
        #expect(throws: ForecastError.unknownModel("prophet")) { _ = try Forecaster(model: "prophet") }
    }

    @Test func mstlSeparatesDailyAndWeeklyCycles() {
        let y: [Double] = (0..<(48 * 28)).map { (t: Int) -> Double in
            let angle: Double = 2 * Double.pi * Double(t) / 48
            let weekend: Double = (t / 48) % 7 >= 5 ? -1.5 : 0.5
            return 5 + 2 * sin(angle) + weekend
        }
        let d = MSTLDecomposition(y, periods: [48, 336])
        let daily = d.seasonals[0].values, weekly = d.seasonals[1].values
        // The daily component swings about ±2; the weekly one separates weekend from weekdays.
        let oneDay: ArraySlice<Double> = daily[(48 * 14)..<(48 * 15)]
        let dayRange: Double = (oneDay.max() ?? 0) - (oneDay.min() ?? 0)
        #expect(abs(dayRange - 4) < 0.6, "daily range \(dayRange)")
        let saturday: Double = weekly[48 * 19 + 10], wednesday: Double = weekly[48 * 16 + 10]
        #expect(saturday < wednesday - 1, "Saturday below Wednesday")
    }

    @Test func intervalsFromBacktestsCoverAboutTheirLevel() throws {
        let forecaster = Forecaster(method: .model(LagRegression()), calibrationOrigins: 14)
        var inside80 = 0, inside95 = 0, total = 0
        for end in stride(from: 48 * 56, through: 48 * 69, by: 48) {
            let f = try forecaster.forecast(ForecastInput(values: Array(series.prefix(end))), horizon: 48)
            let i80 = try #require(f.interval(level: 0.8)), i95 = try #require(f.interval(level: 0.95))
            for h in 0..<48 {
                let a = series[end + h]
                #expect(i95.lower[h] <= i80.lower[h] && i80.upper[h] <= i95.upper[h])
                if i80.lower[h] <= a, a <= i80.upper[h] { inside80 += 1 }
                if i95.lower[h] <= a, a <= i95.upper[h] { inside95 += 1 }
                total += 1
            }
        }
        let c80 = Double(inside80) / Double(total), c95 = Double(inside95) / Double(total)
        #expect(c80 > 0.7 && c80 < 0.9, "80% coverage \(c80)")
        #expect(c95 > 0.9 && c95 <= 1, "95% coverage \(c95)")
    }

    @Test func autoChoosesByBacktestAndSaysWhich() throws {
        let r = try Forecaster(model: "auto", calibrationOrigins: 7)
            .forecastWithBacktests(ForecastInput(values: Array(series.dropLast(48))), horizon: 48, levels: [0.95])
        #expect(r.forecast.model.hasPrefix("auto("))
        let best = try #require(r.backtests.min { $0.meanAbsoluteError < $1.meanAbsoluteError })
        #expect(r.forecast.model == "auto(\(best.model))")
        #expect(r.backtests.contains { $0.model == "snaive" } && r.backtests.contains { $0.model == "ensemble" })
    }

    @Test func gapsAreFilledFromTheSameSlotEarlier() {
        var values: [Double?] = (0..<(48 * 8)).map { Double($0 % 48) }
        values[48 * 7 + 5] = nil
        values[3] = nil
        let input = ForecastInput.filling(values)
        #expect(input.values[48 * 7 + 5] == 5)
        #expect(input.values[3] == 2)
    }
}
