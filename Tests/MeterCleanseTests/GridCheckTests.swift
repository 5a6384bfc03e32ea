import MeterCleanse
import MeterCore
import Testing

@Suite struct GridCheckTests {
    @Test func offGridStartsAreQuarantined() {
        var b = batch([(0, 1)])
        b.append(meter: 0, start: 1800 + 420, kwh: 2, line: 3) // 00:37
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), b)
        #expect(report.count(GridCheck.offGrid) == 1)
        #expect(c.rejections.first?.field == "timestamp")
        #expect(c.batch.count == 1)
    }

    @Test func fiveMinuteGridAcceptsFiveMinuteStarts() {
        let (c, _) = run(RuleSet(VEEConfig(interval: .fiveMinutes, maxGap: 0)), batch([(0, 1), (1, 1), (2, 1)], slot: 300))
        #expect(c.batch.count == 3 && c.rejections.isEmpty)
    }
}
