import MeterCore
import Testing

@Suite struct SettlementCalendarTests {
    let london = SettlementCalendar(.named("Europe/London"))

    @Test func periodsPerDay() {
        #expect(london.periods(on: CivilDate(year: 2026, month: 3, day: 29)) == 46)
        #expect(london.periods(on: CivilDate(year: 2026, month: 10, day: 25)) == 50)
        #expect(london.periods(on: CivilDate(year: 2026, month: 11, day: 28)) == 48)
        #expect(london.periods(on: CivilDate(year: 2026, month: 6, day: 1)) == 48)
    }

    @Test func periodOfAnInstant() {
        // 2026-10-25: 00:00 BST is 2026-10-24T23:00Z; the repeated 01:00-02:00 gives periods 3-6.
        let day = CivilDate(year: 2026, month: 10, day: 25)
        #expect(london.startOfDay(day) == CivilDate(year: 2026, month: 10, day: 24).daysSinceEpoch * 86_400 + 23 * 3600)
        let p = london.period(of: day.daysSinceEpoch * 86_400 + 1800) // 00:30Z = 01:30 BST
        #expect(p.date == day && p.period == 4)
        let last = london.period(of: day.daysSinceEpoch * 86_400 + 86_400 - 1800) // 23:30 GMT
        #expect(last.period == 50)
        let summer = london.period(of: CivilDate(year: 2026, month: 7, day: 1).daysSinceEpoch * 86_400) // 01:00 BST
        #expect(summer.period == 3)
    }

    @Test func civilDateRoundTripsAndWeekdays() {
        for d in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            #expect(CivilDate(daysSinceEpoch: d).daysSinceEpoch == d)
        }
        #expect(CivilDate(year: 2026, month: 11, day: 29).isoWeekday == 7)
        #expect(CivilDate(year: 1970, month: 1, day: 1).isoWeekday == 4)
        #expect(CivilDate.isoWeekday(daysSinceEpoch: -4) == 7 && CivilDate(year: 1969, month: 12, day: 28).isoWeekday == 7)
        #expect(CivilDate.floorDiv(-1, 86_400) == -1 && CivilDate.floorDiv(-86_400, 86_400) == -1 && CivilDate.floorDiv(-86_401, 86_400) == -2)
        #expect(CivilDate.floorDiv(.min, 86_400) == Int64.min / 86_400 - 1 && CivilDate.floorDiv(.max, 86_400) == Int64.max / 86_400)
        #expect(!CivilDate(year: 2026, month: 2, day: 29).isValid)
        #expect(CivilDate(year: 2024, month: 2, day: 29).isValid)
    }

    @Test func slotGrid() {
        #expect(IntervalLength.halfHour.slot(of: 3599) == 1)
        #expect(IntervalLength.halfHour.slot(of: -1) == -1)
        #expect(IntervalLength.fiveMinutes.isAligned(600))
        #expect(!IntervalLength.hour.isAligned(1800))
        #expect(IntervalLength.allCases.map(\.minutes) == [1, 5, 15, 30, 60])
    }
}
