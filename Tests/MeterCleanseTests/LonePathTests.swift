@testable import MeterCleanse
import MeterCore
import MeterIngest
import Testing

/// A meter's only reading in a batch skips the series when every rule keeps it: the output, the
/// rejections and every outcome reported must be what the rules give it.
@Suite struct LonePathTests {
    /// Every outcome in the order reported.
    struct Recorder: OutcomeSink {
        var seen: [String] = []
        mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {
            seen.append("\(outcome.key) \(meter) \(start) \(row)")
        }
    }

    /// A random batch: most meters with one reading, some with two or three; most readings valid,
    /// some empty, not a number, negative, above the limit or off the grid; some with a quality and rule
    /// of their own. Anchors at, before, long before or after the reading; some register meters.
    static func scenario(seed: UInt64) -> (ReadingBatch, [MeterID: MeterKind], [MeterID: SeriesAnchor]) {
        var rng = SplitMix64(seed: seed)
        func chance(_ p: Double) -> Bool { rng.unit() < p }
        var b = ReadingBatch()
        var kinds: [MeterID: MeterKind] = [:], anchors: [MeterID: SeriesAnchor] = [:]
        let meters = 1 + Int(rng.next() % 40)
        let base: Int64 = 1_767_225_600
        for k in 0..<meters {
            let id = MeterID("M\(k)")!
            let m = b.intern(id)
            if chance(0.15) { kinds[id] = .register }
            let slot = base + Int64(rng.next() % 10) * 1800
            if chance(0.8) {
                let back = [0, 1, 1, 1, 2, 3, 5, 7, -2][Int(rng.next() % 9)]
                anchors[id] = SeriesAnchor(start: slot - Int64(back) * 1800, value: rng.unit() * 3)
            }
            let rows = chance(0.8) ? 1 : 2 + Int(rng.next() % 2)
            for r in 0..<rows {
                var start = slot + Int64(r) * 1800
                if chance(0.05) { start += 60 }
                var kwh = rng.unit() * 4
                var status = ValueStatus.number
                switch rng.next() % 20 {
                case 0: status = .empty; kwh = .nan
                case 1: status = .notANumber; kwh = .nan
                case 2: kwh = -kwh
                case 3: kwh = 150
                case 4: kwh = .infinity
                default: break
                }
                let flagged = chance(0.1)
                b.append(meter: m, start: start, kwh: kwh, status: status, quality: flagged ? .estimated : .actual,
                         rule: flagged ? b.internRule("upstream") : -1, line: Int32(b.count + 2))
            }
        }
        return (b, kinds, anchors)
    }

    @Test(arguments: 0..<200 as Range<UInt64>)
    func loneReadingsCleanseAsTheirSeriesWould(seed: UInt64) {
        let (batch, kinds, anchors) = Self.scenario(seed: seed)
        // A third of the runs with gaps that wait for late readings, some meters with one waiting
        // just before their anchor (where some of the scenario's readings fall).
        let delay = seed % 3 == 0 ? 3 : 0
        var waiting = OpenGaps()
        if delay > 0 {
            var rng = SplitMix64(seed: seed ^ 0x5eed)
            for (id, a) in anchors.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where kinds[id] != .register && rng.next() % 3 == 0 {
                waiting[id] = [OpenGap(before: SeriesAnchor(start: a.start - 4 * 1800, value: rng.unit()), after: a)]
            }
        }
        let rules = RuleSet(VEEConfig(maxKwh: 100, maxGap: 4, estimationDelay: delay))
        let groups = RuleSet.rowsByMeter(batch)
        var fastSink = Recorder(), slowSink = Recorder()
        var fastWaiting = waiting, slowWaiting = waiting
        let fast = rules.run(batch, groups: groups, sink: &fastSink, kind: { kinds[$0] }, anchor: { anchors[$0] }, waiting: &fastWaiting, lonePath: true)
        let slow = rules.run(batch, groups: groups, sink: &slowSink, kind: { kinds[$0] }, anchor: { anchors[$0] }, waiting: &slowWaiting, lonePath: false)
        #expect(fast.rejections == slow.rejections)
        #expect(fastSink.seen == slowSink.seen)
        #expect(fastWaiting.byMeter == slowWaiting.byMeter)
        Self.expectSameRows(fast.batch, slow.batch)
    }

    static func expectSameRows(_ a: ReadingBatch, _ b: ReadingBatch) {
        #expect(a.count == b.count)
        #expect(a.meterIndex == b.meterIndex)
        #expect(a.start == b.start)
        #expect(a.kwh.map(\.bitPattern) == b.kwh.map(\.bitPattern))
        #expect((0..<a.count).map { a.quality(at: $0) } == (0..<b.count).map { b.quality(at: $0) })
        #expect((0..<a.count).map { a.ruleName(at: $0) } == (0..<b.count).map { b.ruleName(at: $0) })
        #expect((0..<a.count).map { a.line(at: $0) } == (0..<b.count).map { b.line(at: $0) })
    }

    /// The live case whole: every meter's one reading continues its series and is kept as it is, so
    /// the batch is its own output; and the same batch with one reading to refuse at its end or at its
    /// start, whose output is then built, as the series path builds it.
    @Test(arguments: [-1, 0, 29])
    func aBatchOfLoneReadingsKeptAsTheyAreIsItsOwnOutput(refused: Int) {
        var batch = ReadingBatch()
        var anchors: [MeterID: SeriesAnchor] = [:]
        for k in 0..<30 {
            let id = MeterID("L\(k)")!
            anchors[id] = SeriesAnchor(start: 1800, value: 1)
            batch.append(meter: batch.intern(id), start: 3600, kwh: k == refused ? -1 : Double(k) / 10, line: Int32(k + 2))
        }
        let rules = RuleSet(VEEConfig(maxKwh: 100, maxGap: 4, estimationDelay: 4))
        var fastSink = Recorder(), slowSink = Recorder()
        var fastWaiting = OpenGaps(), slowWaiting = OpenGaps()
        let groups = RuleSet.rowsByMeter(batch)
        let fast = rules.run(batch, groups: groups, sink: &fastSink, kind: { _ in nil }, anchor: { anchors[$0] }, waiting: &fastWaiting, lonePath: true)
        let slow = rules.run(batch, groups: groups, sink: &slowSink, kind: { _ in nil }, anchor: { anchors[$0] }, waiting: &slowWaiting, lonePath: false)
        #expect(fast.rejections == slow.rejections && fastSink.seen == slowSink.seen)
        #expect(fast.batch.count == (refused < 0 ? 30 : 29))
        Self.expectSameRows(fast.batch, slow.batch)
    }

    @Test func theLiveCaseTakesThePathAndTheRestDoNot() {
        var b = ReadingBatch()
        let ok = b.intern(MeterID("OK")!), gap = b.intern(MeterID("GAP")!), bad = b.intern(MeterID("BAD")!)
        b.append(meter: ok, start: 3600, kwh: 1, line: 2)
        b.append(meter: gap, start: 3600, kwh: 1, line: 3)
        b.append(meter: bad, start: 3600, kwh: -1, line: 4)
        let anchors = [MeterID("OK")!: SeriesAnchor(start: 1800, value: 1), MeterID("GAP")!: SeriesAnchor(start: 0, value: 0)]
        var lone: [Int32] = [], series: [Int32] = []
        var rejections: [Rejection] = []
        var sink = Recorder()
        var waiting = OpenGaps()
        let rules = RuleSet(), groups = RuleSet.rowsByMeter(b)
        var visited = MeterSeries(meter: 0, kind: .interval)
        for g in groups.indices {
            if rules.visit(b, groups, g, into: &visited, sink: &sink, rejections: &rejections, kind: { _ in nil },
                           anchorAt: { anchors[b.meters[Int($0)]] }, waiting: &waiting, lonePath: true) != nil {
                lone.append(groups[g].0)
            } else {
                series.append(visited.meter)
            }
        }
        #expect(lone == [ok])
        #expect(series == [gap, bad])
        #expect(rejections.map(\.field) == ["kwh"])
        #expect(sink.seen.count == 2)
    }
}
