import MeterCleanse
import MeterCore
import Testing

@Suite struct RegisterDifferenceTests {
    let rules = RuleSet(VEEConfig(maxKwh: 50, maxGap: 4, registerSize: 100_000))

    @Test func differencesBecomeIntervalsEndingAtEachRead() {
        let (c, report) = run(rules, batch([(0, 1000), (1, 1001.5), (2, 1003)]), kind: .register)
        #expect(values(c) == [0: 1.5, 1: 1.5])
        #expect(report.count(RegisterDifference.baseline) == 1)
    }

    @Test func rolloverAtRegisterSizeGivesTheTrueDifference() {
        let (c, report) = run(rules, batch([(0, 99_999), (1, 1.5)]), kind: .register)
        #expect(abs((values(c)[0] ?? 0) - 2.5) < 1e-9)
        #expect(report.count(RegisterDifference.rollover) == 1)
    }

    @Test func resetIsQuarantinedNotAHugeInterval() {
        // 5000 -> 12 is not near the wrap: a reset. Then 12 -> 14 continues from the new baseline;
        // the interval that ended at the reset is unknown, and gap estimation fills it as an estimate.
        let (c, report) = run(rules, batch([(0, 5000), (1, 5001), (2, 12), (3, 14)]), kind: .register)
        #expect(report.count(RegisterDifference.reset) == 1)
        #expect(values(c) == [0: 1, 1: 1.5, 2: 2])
        #expect(c.batch.quality == [.actual, .estimated, .actual])
        #expect(c.batch.kwh.allSatisfy { $0 >= 0 && $0 <= 50 })
        #expect(c.rejections.first?.detail.contains("reset") == true)
    }

    @Test func jumpUpIsCaughtByTheLimit() {
        let (c, report) = run(rules, batch([(0, 100), (1, 101), (2, 90_000)]), kind: .register)
        #expect(report.count(LimitCheck.aboveMax) == 1)
        #expect(values(c) == [0: 1])
    }

    @Test func missedReadsAreSpreadAndFlagged() {
        let (c, report) = run(rules, batch([(0, 100), (3, 106)]), kind: .register)
        #expect(values(c) == [0: 2, 1: 2, 2: 2])
        #expect(report.count(RegisterDifference.spread) == 3)
        #expect(c.batch.quality.allSatisfy { $0 == .estimated })
    }

    @Test func olderReadsThanTheAnchorStartFromTheirOwnFirst() {
        // History sent after later reads (the anchor, at slot 10, read 1000): not a reset of 1000 to 900.
        let (c, report) = run(rules, batch([(0, 900), (1, 901)]), kind: .register, anchor: SeriesAnchor(start: 10 * 1800, value: 1000))
        #expect(report.count(RegisterDifference.reset) == 0 && report.count(RegisterDifference.baseline) == 1)
        #expect(values(c) == [0: 1])
    }

    @Test func anchorContinuesTheRegister() {
        let (c, _) = run(rules, batch([(1, 103)]), kind: .register, anchor: SeriesAnchor(start: 1800, value: 100))
        #expect(c.batch.count == 0)
        let (c2, _) = run(rules, batch([(2, 103)]), kind: .register, anchor: SeriesAnchor(start: 1800, value: 100))
        #expect(values(c2) == [1: 3])
    }
}
