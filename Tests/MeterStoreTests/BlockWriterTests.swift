@testable import MeterStore
import TestSupport
import Testing

@Suite struct BlockWriterTests {
    /// Blocks are written in the table's key order, day first, then meter; every row belongs to
    /// exactly one run of its meter and day, and the rows of one key keep the order they were given
    /// (so they apply in that order), whether the rows come by meter, as a merge gives them, or
    /// mixed, and whether their days are few or far apart.
    @Test(arguments: [Int64(3), 1_000_000])
    func rowsAreTakenByDayThenMeterKeepingTheirOrderWithinAKey(spread: Int64) {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<100 {
            var rows = (0..<Int.random(in: 0...300, using: &rng)).map { _ in
                BlockWriter.Pending(meter: Int64.random(in: 1...4, using: &rng), start: Int64.random(in: -spread...spread, using: &rng) * 86_400 + 1800,
                                    kwh: 1, quality: .actual, rule: nil, batch: 1)
            }
            if trial % 2 == 0 { rows.sort { $0.meter != $1.meter ? $0.meter < $1.meter : $0.start < $1.start } }
            let runs = BlockWriter.runs(rows)
            let taken = runs.flatMap { Array($0.rows) }
            #expect(taken.sorted() == Array(rows.indices))
            for run in runs {
                #expect(run.rows.allSatisfy { rows[$0].meter == run.meter && ReadingBlock.day(of: rows[$0].start) == run.day })
            }
            let key = { (i: Int) in (ReadingBlock.day(of: rows[i].start), rows[i].meter) }
            #expect(taken == rows.indices.sorted { key($0) != key($1) ? key($0) < key($1) : $0 < $1 })
        }
    }
}

extension BlockWriterTests {
    /// A day outside a meter's days with blocks is written without looking for a block; a day
    /// inside them, or one this write has just given a block, adds to what is there.
    @Test func daysBeforeBetweenAndAfterAMetersBlocksAllKeepTheirReadings() async throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path("blocks.sqlite"))
        try await store.migrate()
        let day: Int64 = 86_400
        @Sendable func pending(_ meter: Int64, _ d: Int64, _ slot: Int64, _ kwh: Double) -> BlockWriter.Pending {
            BlockWriter.Pending(meter: meter, start: d * day + slot * 1800, kwh: kwh, quality: .actual, rule: nil, batch: 1)
        }
        let stored: [[Int64: Double]] = try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO meters(id, name, source) VALUES (1, 'A', 'S'), (2, 'B', 'S')")
            let writer = BlockWriter(db)
            // Days 20 and 22 of meter 1 (and a gap at 21).
            _ = try writer.write([pending(1, 20, 0, 1), pending(1, 22, 0, 2)])
            // Before, between, inside and after them; day 24 twice, apart, with meter 2 between.
            let changes = try writer.write([pending(1, 18, 3, 3), pending(1, 21, 0, 4), pending(1, 22, 1, 5), pending(1, 24, 0, 6),
                                            pending(2, 24, 0, 7), pending(1, 24, 1, 8), pending(1, 20, 0, 1.5)])
            #expect(changes == [.inserted, .inserted, .inserted, .inserted, .inserted, .inserted, .corrected])
            return try [1, 2].map { (meter: Int64) in
                var values: [Int64: Double] = [:]
                try BlockTable.blocks(db, meter: meter, days: .min, .max) { block in
                    for r in block.records { values[r.start / 1800] = r.kwh }
                    return true
                }
                return values
            }
        }
        let slot = { (d: Int64, s: Int64) in d * 48 + s }
        #expect(stored[0] == [slot(18, 3): 3, slot(20, 0): 1.5, slot(21, 0): 4, slot(22, 0): 2, slot(22, 1): 5, slot(24, 0): 6, slot(24, 1): 8])
        #expect(stored[1] == [slot(24, 0): 7])
        #expect(try await store.pool.read { try BlockTable.days($0, meter: 1) }.map { [$0.first, $0.last] } == [18, 24])
    }
}
