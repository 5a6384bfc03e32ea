import MeterCleanse
import MeterCore
import Testing

@Suite struct NegativeCheckTests {
    @Test func negativeValuesAreQuarantinedZeroIsKept() {
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), batch([(0, 0), (1, -0.001), (2, -5), (3, 0.5)]))
        #expect(report.count(NegativeCheck.negative) == 2)
        #expect(values(c) == [0: 0, 3: 0.5])
        #expect(c.rejections.allSatisfy { $0.outcome == NegativeCheck.negative })
    }
}
