import MeterCore
@testable import MeterStore
import MeterIngest
import Testing

/// The writer's copy of what waits in the log: whatever the order of batches and merges of some
/// parts, it holds exactly the entries a merge has not passed, in the order logged, and its count.
@Suite struct InboxStateTests {
    @Test func itHoldsWhatNoMergeHasPassedThroughBatchesMergesAndDroppedChunks() {
        var rng = SplitMix64(seed: 11)
        // Small chunks, so that merges of every part drop some.
        let inbox = InboxState(chunk: 64)
        var model: [Int64: [ReadingLog.Entry]] = [:]
        var marks = [Int64](repeating: 0, count: ReadingLog.parts)
        let meters: [Int64] = (1...300).map(Int64.init) + [1 << 21, (1 << 21) + 128]
        var seq: Int64 = 0
        var drops = 0
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
                if inbox.kept < before { drops += 1 }
                for p in parts { marks[p] = seq }
                // Merged through the last row: only the chunk being filled is left.
                if parts.count == ReadingLog.parts { #expect(inbox.kept < 64) }
            }
            let live = model.mapValues { $0.filter { $0.seq > marks[ReadingLog.part(of: $0.row.meter)] } }.filter { !$0.value.isEmpty }
            #expect(inbox.pending == live.values.reduce(0) { $0 + $1.count })
            let held = inbox.held(meters: meters)
            #expect(held.entries == live)
            // Every slot of a meter, those it never logged included (before, between and after its starts).
            let m = meters[Int(rng.next() % UInt64(meters.count))]
            for start in stride(from: Int64(-1800), through: 21 * 1800, by: 900) {
                let logged = live[m]?.last { $0.row.start == start }.map { StoredValue(kwh: $0.row.kwh, quality: $0.row.quality) }
                #expect(inbox.lookup(m, start) == logged.map(InboxState.Lookup.logged) ?? .block)
            }
        }
        #expect(drops > 0)
        inbox.mergedAll(through: seq, last: nil)
        #expect(inbox.pending == 0 && inbox.held(meters: meters).entries.isEmpty)
    }

    /// A meter's blocks are bounded by its latest start as read from them, then by its latest
    /// whenever readings reach them: later slots are known empty, earlier ones are the block's to say.
    @Test func aReadingLaterThanEverythingItsBlocksHoldIsKnownNew() {
        let inbox = InboxState()
        let meter: Int64 = 5, other: Int64 = 5 + Int64(ReadingLog.run)
        let row = { (start: Int64) in ReadingLog.Row(meter: meter, start: start, kwh: 1, quality: .actual, rule: nil) }
        #expect(inbox.lookup(meter, 0) == .block)
        inbox.readFromBlocks(meter, latest: 10 * 1800)
        inbox.readFromBlocks(other, latest: 0)
        #expect(inbox.lookup(meter, 10 * 1800) == .block)
        #expect(inbox.lookup(meter, 11 * 1800) == .nothing)
        // Logged, not merged: the log has it; the slot before it is still beyond the blocks.
        inbox.apply(seq: 1, batch: 1, rows: [row(12 * 1800)], latest: [(meter, 12 * 1800)])
        #expect(inbox.lookup(meter, 12 * 1800) == .logged(StoredValue(kwh: 1, quality: .actual)))
        #expect(inbox.lookup(meter, 11 * 1800) == .nothing)
        // Merged: the blocks reach its latest; a merge of another part leaves a meter's bound alone.
        inbox.merged(parts: [ReadingLog.part(of: other)], through: 1)
        #expect(inbox.lookup(meter, 11 * 1800) == .nothing)
        inbox.merged(parts: [ReadingLog.part(of: meter)], through: 1)
        #expect(inbox.lookup(meter, 12 * 1800) == .block && inbox.lookup(meter, 11 * 1800) == .block)
        #expect(inbox.lookup(meter, 13 * 1800) == .nothing)
        // A file's batch straight into the blocks, all before the latest: they reach the latest too.
        inbox.apply(seq: 2, batch: 2, rows: [row(20 * 1800)], latest: [(meter, 20 * 1800)])
        #expect(inbox.lookup(meter, 15 * 1800) == .nothing)
        inbox.wroteBlocks(of: [meter])
        #expect(inbox.lookup(meter, 15 * 1800) == .block)
        // A meter whose latest is not known has no bound.
        inbox.wroteBlocks(of: [Int64(1 << 21)])
        #expect(inbox.lookup(1 << 21, 1 << 40) == .block)
    }
}
