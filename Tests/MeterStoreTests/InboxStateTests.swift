import MeterCore
@testable import MeterStore
import MeterIngest
import Testing

/// The writer's copy of what waits in the log: whatever the order of batches and merges of some
/// parts, it holds exactly the entries a merge has not passed, in the order logged, and its count.
@Suite struct InboxStateTests {
    @Test func itHoldsWhatNoMergeHasPassedThroughBatchesMergesAndCompactions() {
        var rng = SplitMix64(seed: 11)
        let inbox = InboxState()
        var model: [Int64: [ReadingLog.Entry]] = [:]
        var marks = [Int64](repeating: 0, count: ReadingLog.parts)
        let meters: [Int64] = (1...300).map(Int64.init) + [1 << 21, (1 << 21) + 128]
        var seq: Int64 = 0
        var compactions = 0
        for round in 0..<400 {
            seq += 1
            var rows: [ReadingLog.Row] = []
            for _ in 0..<Int(rng.next() % 60) {
                let m = meters[Int(rng.next() % UInt64(meters.count))]
                rows.append(ReadingLog.Row(meter: m, start: Int64(rng.next() % 20) * 1800, kwh: Double(round), quality: .actual, rule: nil))
            }
            inbox.apply(seq: seq, batch: seq, rows: rows, latest: [])
            for (i, r) in rows.enumerated() { model[r.meter, default: []].append(ReadingLog.Entry(seq: seq, index: i, batch: seq, row: r)) }
            if rng.next() % 7 == 0 {
                // A merge of some parts, or of all, through the last row.
                let parts = rng.next() % 3 == 0 ? Array(0..<ReadingLog.parts) : (0..<ReadingLog.parts).filter { _ in rng.next() % 4 == 0 }
                let before = inbox.kept
                inbox.merged(parts: parts, through: seq)
                if inbox.kept < before { compactions += 1 }
                for p in parts { marks[p] = seq }
            }
            let live = model.mapValues { $0.filter { $0.seq > marks[ReadingLog.part(of: $0.row.meter)] } }.filter { !$0.value.isEmpty }
            #expect(inbox.pending == live.values.reduce(0) { $0 + $1.count })
            let held = inbox.held(meters: meters)
            #expect(held.entries == live)
            // Every slot of a meter, those it never logged included (before, between and after its starts).
            let m = meters[Int(rng.next() % UInt64(meters.count))]
            for start in stride(from: Int64(-1800), through: 21 * 1800, by: 900) {
                let expected = live[m]?.last { $0.row.start == start }.map(\.row.kwh)
                #expect(inbox.value(m, start)?.kwh == expected)
            }
        }
        #expect(compactions > 0)
        inbox.mergedAll(through: seq, last: nil)
        #expect(inbox.pending == 0 && inbox.held(meters: meters).entries.isEmpty)
    }
}
