import MeterCleanse
import MeterCore
import Testing

@Suite struct DuplicateCheckTests {
    @Test func exactDuplicateIsDroppedAndCounted() {
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), batch([(0, 1), (1, 2), (1, 2), (2, 3)]))
        #expect(c.batch.count == 3)
        #expect(report.count(DuplicateCheck.exact, meter: m1) == 1)
        #expect(c.rejections.isEmpty)
    }

    @Test func conflictingDuplicateKeepsFirstAndQuarantinesTheOther() {
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), batch([(1, 2), (0, 1), (1, 5)]))
        #expect(values(c) == [0: 1, 1: 2])
        #expect(report.count(DuplicateCheck.conflict) == 1)
        #expect(c.rejections.count == 1 && c.rejections[0].row == 2)
        #expect(c.rejections[0].detail.contains("2.0") && c.rejections[0].detail.contains("5.0"))
    }

    @Test func firstInArrivalOrderWinsEvenWhenInvalid() {
        // The first row for slot 1 has no value: it wins, so slot 1 is empty, not 7.
        let (c, report) = run(RuleSet(VEEConfig(maxGap: 0)), batch([(0, 1), (1, nil), (2, 3), (1, 7)]))
        #expect(values(c) == [0: 1, 2: 3])
        #expect(report.count(DuplicateCheck.conflict) == 1)
        #expect(report.count(NotANumberCheck.empty) == 1)
    }

    @Test func twoEmptyValuesAreAnExactDuplicate() {
        let (_, report) = run(RuleSet(VEEConfig(maxGap: 0)), batch([(0, nil), (0, nil)]))
        #expect(report.count(DuplicateCheck.exact) == 1)
        #expect(report.count(NotANumberCheck.empty) == 1)
    }
}
