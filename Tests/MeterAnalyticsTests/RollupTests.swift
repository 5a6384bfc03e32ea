import MeterAnalytics
import MeterCore
import Testing

@Suite struct RollupTests {
    let m = MeterID("M1")!
    let monday: Int64 = CivilDate(year: 2026, month: 11, day: 23).daysSinceEpoch * 86_400

    func readings(days: Int, from start: Int64, value: Double = 0.5) -> [Reading] {
        (0..<(days * 48)).map { Reading(meter: m, start: start + Int64($0) * 1800, kwh: value, quality: $0 % 10 == 0 ? .estimated : .actual) }
    }

    @Test func dailyTotalsCountsAndExtremes() {
        let rows = RollupAccumulator.rollup(readings(days: 2, from: monday), period: .day)
        #expect(rows.count == 2)
        #expect(rows.map(\.period) == ["2026-11-23", "2026-11-24"])
        #expect(rows.allSatisfy { abs($0.kwh - 24) < 1e-9 && $0.readings == 48 && $0.min == 0.5 && $0.max == 0.5 })
        #expect(rows[0].estimated == 5 && rows[0].actual == 43)
    }

    @Test func isoWeeksAndMonths() {
        let rows = RollupAccumulator.rollup(readings(days: 14, from: monday), period: .week)
        #expect(rows.map(\.period) == ["2026-W48", "2026-W49"])
        #expect(RollupPeriod.isoWeekLabel(CivilDate(year: 2027, month: 1, day: 1)) == "2026-W53")
        #expect(RollupPeriod.isoWeekLabel(CivilDate(year: 2024, month: 12, day: 30)) == "2025-W01")
        let months = RollupAccumulator.rollup(readings(days: 14, from: monday), period: .month)
        #expect(months.map(\.period) == ["2026-11", "2026-12"])
        #expect(abs(months[0].kwh - 8 * 24) < 1e-9)
    }

    @Test func daysInALocalZoneFollowItsMidnight() {
        // Sydney is UTC+11 in November: local midnight 2026-11-24 is 13:00Z on the 23rd.
        let rows = RollupAccumulator.rollup(readings(days: 1, from: monday), period: .day, zone: .named("Australia/Sydney"))
        #expect(rows.map(\.period) == ["2026-11-23", "2026-11-24"])
        #expect(rows.map(\.readings) == [26, 22])
    }

    @Test func settlementPeriodsOnTheLongDay() {
        let day = CivilDate(year: 2026, month: 10, day: 25)
        let start = SettlementCalendar().startOfDay(day)
        let rs = (0..<50).map { Reading(meter: m, start: start + Int64($0) * 1800, kwh: 1) }
        let rows = RollupAccumulator.rollup(rs, period: .settlementPeriod, zone: .named("Europe/London"))
        #expect(rows.count == 50)
        #expect(rows.first?.period == "2026-10-25/1" && rows.last?.period == "2026-10-25/50")
    }

    @Test func groupTotalsAcrossMeters() {
        var acc = RollupAccumulator(period: .hour, group: "fleet")
        for id in ["A", "B", "C"] {
            for k in 0..<4 { _ = acc.add(Reading(meter: MeterID(id)!, start: monday + Int64(k) * 1800, kwh: 1)) }
        }
        let rows = acc.finish()
        #expect(rows.map(\.kwh) == [6, 6] && rows.allSatisfy { $0.meter == "fleet" })
    }
}
