@testable import MeterCleanse
import MeterCore
import MeterIngest
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

    // MARK: Gaps that wait for late readings

    /// The live rule set: gaps wait four intervals.
    static let waitingRules = RuleSet(VEEConfig(maxGap: 4, estimationDelay: 4))

    /// One batch through the rules with the meter's anchor and waiting gaps, which it moves on.
    static func step(_ rules: RuleSet, _ rows: [(Int64, Double?)], anchor: inout SeriesAnchor?, waiting: inout OpenGaps)
        -> (Cleansed, QualityReport) {
        let b = batch(rows)
        var sink = QualityReportSink(meters: b.meters)
        let a = anchor
        let c = rules.run(b, sink: &sink, anchor: { _ in a }, waiting: &waiting)
        for i in 0..<c.batch.count where c.batch.start[i] > (anchor?.start ?? .min) {
            anchor = SeriesAnchor(start: c.batch.start[i], value: c.batch.kwh[i])
        }
        return (c, sink.report)
    }

    @Test func aGapAfterTheLatestWaitsAndLateReadingsFillItAsMeasured() {
        var anchor: SeriesAnchor? = SeriesAnchor(start: 0, value: 1)
        var waiting = OpenGaps()
        let (first, r1) = Self.step(Self.waitingRules, [(3, 4)], anchor: &anchor, waiting: &waiting)
        #expect(values(first) == [3: 4])
        #expect(r1.count(GapEstimation.estimated) == 0)
        #expect(waiting[m1] == [OpenGap(before: SeriesAnchor(start: 0, value: 1), after: SeriesAnchor(start: 3 * 1800, value: 4))])
        let (late, _) = Self.step(Self.waitingRules, [(1, 2)], anchor: &anchor, waiting: &waiting)
        #expect(values(late) == [1: 2])
        #expect(waiting[m1] == [OpenGap(before: SeriesAnchor(start: 1800, value: 2), after: SeriesAnchor(start: 3 * 1800, value: 4))])
        let (last, r3) = Self.step(Self.waitingRules, [(2, 3)], anchor: &anchor, waiting: &waiting)
        #expect(values(last) == [2: 3] && last.batch.quality(at: 0) == .actual)
        #expect(r3.count(GapEstimation.estimated) == 0)
        #expect(waiting.isEmpty)
    }

    @Test func slotsStillEmptyOnceTheMeterIsFarEnoughPastAreEstimatedBetweenTheirNearestValues() {
        var anchor: SeriesAnchor? = SeriesAnchor(start: 0, value: 0)
        var waiting = OpenGaps()
        _ = Self.step(Self.waitingRules, [(4, 4)], anchor: &anchor, waiting: &waiting)
        // Slot 2 comes late: slots 1 and 3 wait on either side of it.
        _ = Self.step(Self.waitingRules, [(2, 10)], anchor: &anchor, waiting: &waiting)
        #expect(waiting[m1].count == 2)
        // Slot 1 is due once the meter reaches slot 5 (four past it); slot 3 at slot 7.
        let (at5, r5) = Self.step(Self.waitingRules, [(5, 5)], anchor: &anchor, waiting: &waiting)
        #expect(values(at5) == [1: 5, 5: 5])
        #expect(at5.batch.start == [1800, 5 * 1800], "in time order")
        #expect(r5.count(GapEstimation.estimated, meter: m1) == 1)
        let (at6, _) = Self.step(Self.waitingRules, [(6, 6)], anchor: &anchor, waiting: &waiting)
        #expect(values(at6) == [6: 6])
        let (at7, _) = Self.step(Self.waitingRules, [(7, 6)], anchor: &anchor, waiting: &waiting)
        #expect(values(at7) == [3: 7, 7: 6])
        #expect(at7.batch.quality == [.estimated, .actual])
        #expect(at7.batch.rules[Int(at7.batch.ruleIndex[0])] == "gap_estimation")
        #expect(waiting.isEmpty)
    }

    @Test func aLongGapWaitsTooAndIsReportedMissingWhenDue() {
        var anchor: SeriesAnchor? = SeriesAnchor(start: 0, value: 0)
        var waiting = OpenGaps()
        let rules = RuleSet(VEEConfig(maxGap: 2, estimationDelay: 2))
        let (c, r) = Self.step(rules, [(5, 5)], anchor: &anchor, waiting: &waiting)
        #expect(values(c) == [5: 5] && r.count(GapEstimation.missing) == 0)
        // A late reading leaves runs of 2 and 1, both short enough to estimate; the meter is two
        // past the first already.
        let (late, r1) = Self.step(rules, [(3, 3)], anchor: &anchor, waiting: &waiting)
        #expect(values(late) == [1: 1, 2: 2, 3: 3] && r1.count(GapEstimation.estimated) == 2)
        let (due, r2) = Self.step(rules, [(6, 6), (7, 7)], anchor: &anchor, waiting: &waiting)
        #expect(values(due) == [4: 4, 6: 6, 7: 7])
        #expect(r2.count(GapEstimation.estimated) == 1 && r2.count(GapEstimation.missing) == 0)
        // Without one, a run longer than the most estimated is reported missing, slot by slot.
        let (long, r3) = Self.step(rules, [(11, 1), (12, 1), (13, 1)], anchor: &anchor, waiting: &waiting)
        #expect(long.batch.count == 3 && r3.count(GapEstimation.missing) == 3)
        #expect(waiting.isEmpty)
    }

    @Test func olderReadingsBridgeAmongThemselvesAtOnce() {
        var anchor: SeriesAnchor? = SeriesAnchor(start: 20 * 1800, value: 1)
        var waiting = OpenGaps()
        let (c, r) = Self.step(Self.waitingRules, [(1, 1), (3, 3)], anchor: &anchor, waiting: &waiting)
        #expect(values(c) == [1: 1, 2: 2, 3: 3])
        #expect(r.count(GapEstimation.estimated) == 1)
        #expect(waiting.isEmpty)
    }

    @Test func aRestartTakesUpTheGapsItsStoredValuesLeaveWaiting() {
        let rule = GapEstimation(interval: .halfHour, maxGap: 4, delay: 4)
        let stored = [0, 1, 4, 5, 7, 8].map { SeriesAnchor(start: Int64($0) * 1800, value: Double($0)) }
        // Gap 1-4 ends at slot 3, which slot 8 is five past: due already. Gap 5-7 (slot 6) waits.
        #expect(rule.waiting(in: stored) == [OpenGap(before: stored[3], after: stored[4])])
        #expect(GapEstimation(interval: .halfHour, maxGap: 4).waiting(in: stored).isEmpty)
    }

    /// Readings sent a few at a time and delivered out of order by less than the delay are stored,
    /// estimated and reported exactly as the same readings in order, estimated at once; and no
    /// estimate is ever replaced by a measured value.
    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func readingsOutOfOrderByLessThanTheDelayEndAsInOrder(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let delay = 1 + Int(rng.next() % 5), slots = 80
        let meters = ["A", "B", "C"].map { MeterID($0)! }
        // Each meter's slots: most sent, some never (short and long runs), some refused (negative).
        var sent: [(meter: Int, slot: Int64, kwh: Double)] = []
        for m in meters.indices {
            var s = 0
            while s < slots {
                if rng.next() % 6 == 0 { s += 1 + Int(rng.next() % 7); continue }
                sent.append((m, Int64(s), rng.next() % 15 == 0 ? -1 : Double(rng.next() % 1000) / 100))
                s += 1
            }
            // A run at the end, in order, takes every gap past the delay.
            for t in slots..<(slots + delay) { sent.append((m, Int64(t), 1)) }
        }
        func batches(_ rows: [(meter: Int, slot: Int64, kwh: Double)]) -> [ReadingBatch] {
            // One batch per slot, as gateways send them.
            Dictionary(grouping: rows, by: \.slot).sorted { $0.key < $1.key }.map { _, rows in
                var b = ReadingBatch()
                let ids = meters.map { b.intern($0) }
                for r in rows { b.append(meter: ids[r.meter], start: r.slot * 1800, kwh: r.kwh, line: 2) }
                return b
            }
        }
        struct Stored: Equatable { var kwh: Double; var quality: Quality }
        func ingest(_ order: [ReadingBatch], rules: RuleSet) -> (stored: [String: Stored], report: QualityReport, corrected: Int) {
            var stored: [String: Stored] = [:], anchors: [MeterID: SeriesAnchor] = [:], waiting = OpenGaps(), corrected = 0
            var report = QualityReport()
            for b in order {
                var sink = QualityReportSink(meters: b.meters)
                let a = anchors
                let c = rules.run(b, sink: &sink, anchor: { a[$0] }, waiting: &waiting)
                report.merge(sink.report)
                for i in 0..<c.batch.count {
                    let id = c.batch.meters[Int(c.batch.meterIndex[i])], start = c.batch.start[i]
                    let new = Stored(kwh: c.batch.kwh[i], quality: c.batch.quality(at: i)), key = "\(id) \(start)"
                    // As the store judges a value: an estimate never replaces a measured one.
                    if let old = stored[key] {
                        if new.quality == .estimated && old.quality != .estimated { continue }
                        if old.quality == .estimated && new != old { corrected += 1 }
                    }
                    stored[key] = new
                    if start > anchors[id]?.start ?? .min { anchors[id] = SeriesAnchor(start: start, value: new.kwh) }
                }
            }
            return (stored, report, corrected)
        }
        let inOrder = batches(sent)
        // Each batch delivered late by less than the delay: none is overtaken by one `delay` or more slots after it.
        let shuffled = inOrder.map { (Int($0.start[0] / 1800) * 1000 + Int(rng.next() % UInt64(delay * 1000)), $0) }
            .sorted { $0.0 < $1.0 }.map(\.1)
        let expected = ingest(inOrder, rules: RuleSet(VEEConfig(maxGap: 4)))
        let got = ingest(shuffled, rules: RuleSet(VEEConfig(maxGap: 4, estimationDelay: delay)))
        #expect(shuffled.map { $0.start.first } != inOrder.map { $0.start.first } || delay == 1)
        #expect(got.stored == expected.stored)
        #expect(got.corrected == 0)
        #expect(got.report.count(GapEstimation.estimated) == expected.report.count(GapEstimation.estimated))
        #expect(got.report.count(GapEstimation.missing) == expected.report.count(GapEstimation.missing))
        #expect(expected.report.count(GapEstimation.estimated) > 0)
    }
}
