import Foundation
import MeterAnalytics
import MeterCore
import Testing

@Suite struct TariffTests {
    let day: Int64 = CivilDate(year: 2026, month: 11, day: 23).daysSinceEpoch * 86_400 // a Monday

    @Test func standardTariffPricesEachBandOfTheDay() {
        let calc = CostCalculator(tariff: .standard)
        let readings = [(day + 3 * 3600, 1.0), (day + 12 * 3600, 1.0), (day + 17 * 3600, 1.0)].map { (start: $0.0, kwh: $0.1) }
        let d = calc.days(readings)
        #expect(d.count == 1)
        #expect(abs(d[0].energyCost - (0.18 + 0.34 + 0.42)) < 1e-9)
        #expect(abs(d[0].cost - (0.94 + 0.60)) < 1e-9)
        #expect(d[0].kwhByBand == ["off-peak": 1, "standard": 1, "peak": 1])
        // A source of three meters pays three standing charges a day.
        let group = CostCalculator(tariff: .standard, meters: 3).days(readings)
        #expect(abs(group[0].cost - (0.94 + 1.80)) < 1e-9)
    }

    @Test func localTimePlacesReadingsInBandsAndDays() {
        // 07:00 UTC is 17:00 at +10:00: peak, and on the local day.
        let calc = CostCalculator(tariff: .standard, offset: { _ in 36_000 })
        let d = calc.days([(start: day + 7 * 3600, kwh: 2)])
        #expect(abs(d[0].energyCost - 0.84) < 1e-9)
        #expect(d[0].date == CivilDate(year: 2026, month: 11, day: 23))
    }

    @Test func monthsSumTheirDaysAndComparisonsRankTariffs() {
        let readings = (0..<(48 * 40)).map { (start: day + Int64($0) * 1800, kwh: 0.5) }
        let calc = CostCalculator(tariff: .standard)
        let months = calc.months(calc.days(readings))
        #expect(months.map(\.month) == [11, 12, 1])
        #expect(months.map(\.days) == [8, 31, 1])
        #expect(abs(months.reduce(0) { $0 + $1.kwh } - 960) < 1e-9)
        let flat = Tariff(name: "flat", standardRate: 30, standingCharge: 40)
        let rows = TariffComparison.compare([.standard, flat], readings: readings)
        #expect(rows.first?.tariff == "flat")
        #expect(rows.last.map { $0.overCheapest > 0 } == true)
    }

    @Test func bandsMayWrapMidnightAndNameWeekdays() {
        let t = Tariff(name: "night", standardRate: 30, bands: [.init(name: "night", from: 22 * 60, to: 5 * 60, rate: 10, weekdays: [0, 1, 2, 3, 4])])
        #expect(t.rate(minute: 23 * 60, weekday: 0) == 10)
        #expect(t.rate(minute: 60, weekday: 0) == 10)
        #expect(t.rate(minute: 60, weekday: 6) == 30)
        #expect(t.rate(minute: 12 * 60, weekday: 0) == 30)
    }

    @Test func tariffFilesAcceptClockTimesAndNameWhatIsWrong() throws {
        let good = #"[{"name":"supplier-a","standardRate":30,"standingCharge":50,"bands":[{"name":"peak","from":"16:00","to":"19:30","rate":45}]}]"#
        let list = try Tariff.load(json: Array(good.utf8), file: "t.json")
        #expect(list[0].bands[0].from == 960 && list[0].bands[0].to == 1170)
        let bad = #"{"name":"x","standardRate":30,"bands":[{"name":"peak","from":"25:00","to":"19:00","rate":45}]}"#
        #expect { try Tariff.load(json: Array(bad.utf8), file: "t.json") } throws: { "\($0)".contains("t.json") && "\($0)".contains("25:00") }
        let negative = #"{"name":"x","standardRate":-3}"#
        #expect { try Tariff.load(json: Array(negative.utf8), file: "n.json") } throws: { "\($0)".contains("standard rate") }
    }

    @Test func clockTimesReadAsMinutesOfTheDay() {
        #expect(Tariff.minuteOfDay("00:00") == 0)
        #expect(Tariff.minuteOfDay("16:30") == 990)
        #expect(Tariff.minuteOfDay("24:00") == 1440)
        for bad in ["24:01", "7pm", "9:5", "12:60", "", ":", "-1:00", "12:00:00"] { #expect(Tariff.minuteOfDay(bad) == nil, "\(bad)") }
    }

    @Test func whatIfScalesLoadAddsChargingAndReprices() {
        let starts = (0..<48).map { day + Int64($0) * 1800 }
        let forecast = [Double](repeating: 1, count: 48)
        let s = Scenario(loadFactor: 1.2, evShare: 0.5, ev: .init(kw: 7, kwhPerDay: 10.5, startMinute: 23 * 60))
        let o = WhatIf.apply(s, forecast: forecast, starts: starts, stepMinutes: 30, meters: 10, baseline: .standard)
        #expect(o.evMeters == 5)
        // 48 kWh × 1.2, plus 5 chargers: 23:00 to 24:00 on this day (7 kWh each), the rest wraps to the morning.
        #expect(abs(o.baselineKWh - 48) < 1e-9)
        #expect(abs(o.scenarioKWh - (57.6 + 5 * 10.5)) < 1e-9)
        #expect(o.scenarioCost > o.baselineCost)
        let cheaper = WhatIf.apply(Scenario(tariff: Tariff(name: "flat", standardRate: 10)), forecast: forecast, starts: starts,
                                   stepMinutes: 30, meters: 1, baseline: .standard)
        #expect(abs(cheaper.scenarioCost - 4.8) < 1e-9)
        #expect(abs(cheaper.deltaKWh) < 1e-9)
    }
}
