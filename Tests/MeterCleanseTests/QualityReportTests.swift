import MeterCleanse
import MeterCore
import Testing

@Suite struct QualityReportTests {
    @Test func countsEveryOutcomePerRulePerMeter() {
        var b = batch([(0, 1), (0, 1), (1, -2), (2, nil), (3, 200), (5, 1)], meter: "M1")
        let m2 = b.intern(MeterID("M2")!)
        b.append(meter: m2, start: 0, kwh: 1)
        b.append(meter: m2, start: 0, kwh: 9)
        let (c, report) = run(RuleSet(VEEConfig(maxKwh: 100, maxGap: 4)), b)
        #expect(report.perMeter["M1"] == [
            "duplicate/exact": 1, "negative/negative": 1, "not_a_number/empty": 1, "limit/above_max": 1,
            "gap_estimation/estimated": 4,
        ])
        #expect(report.perMeter["M2"] == ["duplicate/conflict": 1])
        #expect(report.total(.quarantined) == 4)
        #expect(report.total(.estimated) == 4)
        #expect(c.rejections.count == 4)
        var merged = report
        merged.merge(report)
        #expect(merged.count(DuplicateCheck.exact) == 2)
    }

    @Test func rulesRunInTheDocumentedOrder() {
        #expect(RuleSet().names == ["grid", "duplicate", "not_a_number", "negative", "register_difference", "limit", "gap_estimation"])
    }
}

/// Every outcome a rule declares is named for a person, once.
@Suite struct OutcomeSummaryTests {
    @Test func everyDeclaredOutcomeHasItsOwnSummary() {
        let keys = Outcome.declared.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(Outcome.declared.allSatisfy { !$0.summary.isEmpty && Outcome.summary(ofKey: $0.key) == $0.summary })
        #expect(Outcome.summary(ofKey: GapEstimation.estimated.key) == "Gaps estimated")
        #expect(Outcome.summary(ofKey: "parse/bad_timestamp") == "Rows not read (bad timestamp)")
        #expect(Outcome.summary(ofKey: "nothing/known") == nil)
    }
}
