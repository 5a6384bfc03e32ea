import Foundation
import MeterAnalytics
import NutCrackerEngine
import Testing
import TestSupport

/// The forecasting evaluation at a reduced size: `auto` must beat the seasonal naive forecast on
/// both real data sets, and its intervals must cover close to their level.
@Suite(.enabled(if: SharedData.shouldRun, "needs ../shared/data (absent: skipped outside CI)"))
struct ForecastEvaluationTests {
    @Test func autoBeatsSeasonalNaiveWithHonestIntervals() throws {
        let vic = try ForecastEvaluation.victoria(path: SharedData.path("real/aemo-vic/vic_electricity.csv"))
        let sgsc = try ForecastEvaluation.households(path: SharedData.path("real/sgsc/smart_meter10.csv"))
        #expect(vic.series.first?.input.count == 52_608)
        #expect(sgsc.series.count == 10)
        var options = ForecastEvaluation.Options()
        var pooled = ForecastScore()
        for (set, folds) in [(vic, 8), (sgsc, 2)] {
            options.folds = folds
            let auto = try ForecastEvaluation.score(set, model: "auto", options: options)
            let naive = try ForecastEvaluation.score(set, model: "snaive", options: options)
            #expect(auto.folds == naive.folds && auto.folds >= folds)
            #expect(auto.mase < naive.mase, "\(set.name): auto MASE \(auto.mase), seasonal naive \(naive.mase)")
            pooled.folds += auto.folds
            pooled.points += auto.points
            pooled.covered80 += auto.covered80
            pooled.covered95 += auto.covered95
        }
        #expect(pooled.coverage95 >= 0.93 && pooled.coverage95 <= 0.97, "95% coverage \(pooled.coverage95)")
        #expect(pooled.coverage80 >= 0.77 && pooled.coverage80 <= 0.83, "80% coverage \(pooled.coverage80)")
    }

    @Test func storedHistoryForecastsOnItsOwnGrid() throws {
        // A week and a half of a regular half-hourly meter, with a gap.
        var starts: [Int64] = [], kwh: [Double] = []
        let t0: Int64 = 1_700_000_000 / 1800 * 1800
        for i in 0..<(48 * 10) where !(100..<110).contains(i) {
            starts.append(t0 + Int64(i) * 1800)
            kwh.append(1 + 0.5 * sin(Double(i) * 2 * .pi / 48))
        }
        let points = MeterForecasting.Points(starts: starts, kwh: kwh, stepSeconds: 1800)
        let r = try MeterForecasting.forecast(points, horizon: 4, levels: [0.8, 0.95], model: "auto")
        let expectedStarts: [Int64] = (0..<4).map { (h: Int) -> Int64 in t0 + Int64(48 * 10 + h) * 1800 }
        #expect(r.starts == expectedStarts)
        #expect(r.historySteps == 48 * 10)
        let csv = MeterForecasting.csv(r).split(separator: "\n")
        #expect(csv.first == "timestamp,mean,lo80,hi80,lo95,hi95")
        #expect(csv.count == 5)
        for (h, v) in r.forecast.mean.enumerated() {
            let angle: Double = Double(48 * 10 + h) * 2 * Double.pi / 48
            let truth: Double = 1 + 0.5 * sin(angle)
            #expect(abs(v - truth) < 0.05)
        }
    }
}
