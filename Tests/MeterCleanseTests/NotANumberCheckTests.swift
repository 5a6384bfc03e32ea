import MeterCleanse
import MeterCore
import Testing

@Suite struct NotANumberCheckTests {
    @Test func emptyAndUnparseableAreQuarantinedSeparately() {
        var b = batch([(0, 1), (1, nil), (3, 3)])
        b.append(meter: 0, start: 2 * 1800, kwh: .nan, status: .notANumber, line: 9)
        b.append(meter: 0, start: 4 * 1800, kwh: .infinity, line: 10)
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), b)
        #expect(report.count(NotANumberCheck.empty) == 1)
        #expect(report.count(NotANumberCheck.unparseable) == 2)
        #expect(c.rejections.map(\.field) == ["kwh", "kwh", "kwh"])
        #expect(values(c) == [0: 1, 3: 3])
    }
}
