import ArgumentParser
import Foundation
import MeterAnalytics
import MeterCore
import NutCrackerEngine

/// Reads `--tariffs FILE` (JSON: one tariff or an array), or gives the standard tariff.
func loadTariffs(_ path: String?) throws -> [Tariff] {
    guard let path else { return [.standard] }
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--tariffs: cannot read \(path)") }
    do { return try Tariff.load(json: [UInt8](data), file: path) } catch { throw ValidationError("\(error)") }
}

struct CostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Price a meter's, a source's or the fleet's history per day or month under a tariff, and compare tariffs.")

    @OptionGroup var series: SeriesOptions
    @Option(help: "Tariffs (JSON, one or an array; the first prices the table); default: standard 34p, off-peak 00:00-06:00 18p, peak 16:00-19:00 42p, 60p a day.") var tariffs: String?
    @Option(help: "day or month.") var by = "month"

    func run() async throws {
        guard by == "day" || by == "month" else { throw ValidationError("--by must be day or month") }
        let list = try loadTariffs(tariffs)
        let (points, meters, offset) = try await series.load()
        let calc = CostCalculator(tariff: list[0], meters: meters, offset: offset)
        let days = calc.days(points.readings)
        printOut("\(by == "day" ? "date" : "month"),kwh,cost_gbp\n")
        if by == "day" {
            for d in days { printOut("\(d.date),\(String(format: "%.3f", d.kwh)),\(String(format: "%.2f", d.cost))\n") }
        } else {
            for m in calc.months(days) {
                printOut(String(format: "%04d-%02d,%.3f,%.2f\n", m.year, m.month, m.kwh, m.cost))
            }
        }
        if list.count > 1 {
            printOut("\ntariff,kwh,days,cost_gbp,annual_gbp,over_cheapest_gbp\n")
            for r in TariffComparison.compare(list, readings: points.readings, meters: meters, offset: offset) {
                printOut(String(format: "%@,%.3f,%d,%.2f,%.2f,%.2f\n", r.tariff, r.kwh, r.days, r.cost, r.annualCost, r.overCheapest))
            }
        }
    }
}

struct WhatIfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whatif",
        abstract: "Apply a scenario (load change, EV charging, another tariff) to a forecast and compare energy and cost with the baseline.")

    @OptionGroup var series: SeriesOptions
    @Option(help: "Steps ahead to forecast (336 is a week of half-hours).") var horizon = 336
    @Option(help: "Forecast model.") var model = "mstl"
    @Option(help: "Multiply all load (1.2 is +20%).") var loadFactor = 1.0
    @Option(help: "Share of meters (0 to 1) that add EV charging.") var evShare = 0.0
    @Option(help: "EV charger power, kW.") var evKw = 7.0
    @Option(help: "EV energy per night, kWh.") var evKwh = 10.0
    @Option(help: "EV charging start, local HH:MM.") var evStart = "23:00"
    @Option(help: "Tariffs file (JSON); the baseline is the first, the scenario --scenario-tariff.") var tariffs: String?
    @Option(help: "Name of the tariff (in --tariffs) the scenario is priced under.") var scenarioTariff: String?

    func run() async throws {
        let list = try loadTariffs(tariffs)
        guard let start = Tariff.minuteOfDay(evStart), start < 1440 else { throw ValidationError("--ev-start must be a time of day like 23:00") }
        var scenario = Scenario(loadFactor: loadFactor, evShare: evShare, ev: .init(kw: evKw, kwhPerDay: evKwh, startMinute: start))
        if let scenarioTariff {
            guard let t = list.first(where: { $0.name == scenarioTariff }) else {
                throw ValidationError("--scenario-tariff: no tariff '\(scenarioTariff)' in \(tariffs ?? "the defaults")")
            }
            scenario.tariff = t
        }
        let problems = scenario.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        let (points, meters, offset) = try await series.load()
        let f: MeterForecasting.Result
        do {
            f = try MeterForecasting.forecast(points, horizon: horizon, levels: [], model: model, windowDays: series.windowDays, offset: offset)
        } catch let e as ForecastError { throw ValidationError("\(e)") }
        let o = WhatIf.apply(scenario, forecast: f.forecast.mean, starts: f.starts, stepMinutes: Int(f.stepSeconds / 60), meters: meters,
                             baseline: list[0], offset: offset)
        printOut("""
        forecast: \(f.forecast.model), \(horizon) steps from \(ISO8601.format(f.starts.first ?? 0)), \(meters) meter(s), \(o.evMeters) charging a vehicle
        ,kwh,cost_gbp
        baseline,\(String(format: "%.3f", o.baselineKWh)),\(String(format: "%.2f", o.baselineCost))
        scenario,\(String(format: "%.3f", o.scenarioKWh)),\(String(format: "%.2f", o.scenarioCost))
        change,\(String(format: "%+.3f", o.deltaKWh)),\(String(format: "%+.2f", o.deltaCost))

        """)
    }
}
