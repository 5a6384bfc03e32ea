import MeterCleanse
import MeterCore
import Testing

@Suite struct LimitCheckTests {
    @Test func aboveTheLimitIsQuarantinedAtTheLimitIsKept() {
        let (c, report) = run(RuleSet(VEEConfig(maxKwh: 10, maxGap: 0)), batch([(0, 10), (1, 10.0001), (2, 999)]))
        #expect(report.count(LimitCheck.aboveMax) == 2)
        #expect(values(c) == [0: 10])
    }

    @Test func noLimitKeepsEverything() {
        let (c, _) = run(RuleSet(VEEConfig(maxKwh: nil, maxGap: 0)), batch([(0, 1e9)]))
        #expect(c.batch.count == 1)
    }
}
