import MeterCleanse
import MeterCore
import Testing

@Suite struct GapEstimationTests {
    @Test func shortGapIsInterpolatedAndFlagged() {
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 4)), batch([(0, 1), (4, 5)]))
        #expect(values(c) == [0: 1, 1: 2, 2: 3, 3: 4, 4: 5])
        #expect(report.count(GapEstimation.estimated, meter: m1) == 3)
        let estimated = (0..<c.batch.count).filter { c.batch.quality[$0] == .estimated }
        #expect(estimated.count == 3)
        #expect(estimated.allSatisfy { c.batch.rules[Int(c.batch.ruleIndex[$0])] == "gap_estimation" })
    }

    @Test func gapOfExactlyMaxIsFilledOneMoreIsMissing() {
        let (filled, _) = run(RuleSet(VEEConfig(maxGap: 2)), batch([(0, 0), (3, 3)]))
        #expect(filled.batch.count == 4)
        let (left, report) = run(RuleSet(VEEConfig(maxGap: 2)), batch([(0, 0), (4, 4)]))
        #expect(left.batch.count == 2)
        #expect(report.count(GapEstimation.missing) == 3)
        #expect(report.count(GapEstimation.estimated) == 0)
    }

    @Test func invalidValuesLeaveSlotsThatAreEstimated() {
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 4)), batch([(0, 2), (1, -1), (2, 4)]))
        #expect(values(c) == [0: 2, 1: 3, 2: 4])
        #expect(report.count(NegativeCheck.negative) == 1)
        #expect(report.count(GapEstimation.estimated) == 1)
    }

    @Test func gapFromAnchorIsBridgedAcrossBatches() {
        let (c, _) = run(RuleSet(VEEConfig(maxGap: 4)), batch([(3, 4)]), anchor: SeriesAnchor(start: 0, value: 1))
        #expect(values(c) == [1: 2, 2: 3, 3: 4])
    }

    @Test func anchorAfterTheBatchIsIgnored() {
        let (c, _) = run(RuleSet(VEEConfig(maxGap: 4)), batch([(3, 4)]), anchor: SeriesAnchor(start: 10 * 1800, value: 1))
        #expect(values(c) == [3: 4])
    }

    @Test func estimationOffWithZeroGap() {
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), batch([(0, 1), (2, 3)]))
        #expect(c.batch.count == 2)
        #expect(report.count(GapEstimation.missing) == 0)
    }
}
