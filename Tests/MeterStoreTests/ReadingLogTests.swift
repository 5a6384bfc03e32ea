import Foundation
import GRDB
import MeterCore
@testable import MeterStore
import TestSupport
import Testing

/// The log live readings wait in: its records read back as written and refuse damage without
/// crashing; each logged reading reaches `readings` exactly once, whoever merges and wherever a
/// process stopped; rows another process logged are seen and merged.
@Suite struct ReadingLogTests {
    let dir = TemporaryDirectory()
    let t0: Int64 = 1_795_824_000

    func store(_ name: String = "log.sqlite") async throws -> SQLiteStore {
        let s = try SQLiteStore(path: dir.path(name), inboxLimit: 1_000_000)
        try await s.migrate()
        return s
    }

    func one(_ meter: String, slot: Int64, kwh: Double, quality: Quality = .actual) -> ReadingBatch {
        var b = ReadingBatch()
        b.append(Reading(meter: MeterID(meter)!, start: t0 + slot * 1800, kwh: kwh, quality: quality,
                         rule: quality == .estimated ? "gap_estimation" : nil))
        return b
    }

    func rowsInReadings(_ s: SQLiteStore) async throws -> Int {
        try await s.pool.read { try BlockTable.count($0) }
    }

    @Test func aRecordReadsBackAsWritten() throws {
        let rows = [ReadingLog.Row(meter: 7, start: t0, kwh: 1.25, quality: .actual, rule: nil),
                    ReadingLog.Row(meter: 7, start: t0 + 1800, kwh: 0, quality: .estimated, rule: "gap_estimation"),
                    ReadingLog.Row(meter: 1 << 40, start: -5, kwh: -.infinity, quality: .suspect, rule: "spike"),
                    ReadingLog.Row(meter: 9, start: t0, kwh: .greatestFiniteMagnitude, quality: .edited, rule: "gap_estimation")]
        let bytes = ReadingLog.encode(batch: 42, rows: rows)
        // Header 38 bytes; rows 9, 5, 20 and 20 (meter and start differences as zigzag varints,
        // values in watt-hours when they are whole watt-hours).
        #expect(bytes.count == 92)
        #expect(try ReadingLog.decode(seq: 3, bytes) == ReadingLog.Record(seq: 3, batch: 42, rows: rows))
        #expect(try ReadingLog.decode(seq: 1, ReadingLog.encode(batch: 1, rows: [])).rows.isEmpty)
        // A live batch (one reading per meter, in key order, one start): 5 bytes a reading of
        // watt-hours, 11 of finer values.
        let live = (0..<1000).map { ReadingLog.Row(meter: 5000 + Int64($0), start: t0, kwh: Double(100 + $0 % 900) / 1000, quality: .actual, rule: nil) }
        let packed = ReadingLog.encode(batch: 7, rows: live)
        #expect(packed.count == 1 + 8 + 2 + 4 + (2 + 5 + 1 + 2) + 5 * 999)
        #expect(try ReadingLog.decode(seq: 2, packed).rows == live)
        let fine = live.map { r in ReadingLog.Row(meter: r.meter, start: r.start, kwh: r.kwh + 0.0001, quality: .actual, rule: nil) }
        let finePacked = ReadingLog.encode(batch: 7, rows: fine)
        #expect(finePacked.count == 1 + 8 + 2 + 4 + (2 + 5 + 1 + 8) + 11 * 999)
        #expect(try ReadingLog.decode(seq: 2, finePacked).rows == fine)
        // Rows logged in the earlier formats (27 fixed bytes each; every value's bits) still read back.
        #expect(try ReadingLog.decode(seq: 4, Self.formatOne(batch: 42, rows: rows)) == ReadingLog.Record(seq: 4, batch: 42, rows: rows))
        #expect(try ReadingLog.decode(seq: 4, Self.formatTwo(batch: 42, rows: rows)) == ReadingLog.Record(seq: 4, batch: 42, rows: rows))
        #expect(try ReadingLog.decode(seq: 4, Self.formatTwo(batch: 7, rows: live)).rows == live)
    }

    /// Whatever the value, it reads back bit for bit, in the log and in a block: whole watt-hours in
    /// their short form, anything else (finer, negative zero, huge, not a number) as its bits.
    @Test func valuesReadBackBitForBit() throws {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 0.001, -0.001, 0.0005, 0.1 + 0.2, 1e15, -1e15, 1e16, 9_007_199_254_740.993,
                                .nan, -.nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        values += (0..<500).map { _ in Double(Int.random(in: -5_000_000...5_000_000, using: &rng)) / 1000 }
        values += (0..<500).map { _ in Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng)) }
        #expect(WattHours.of(0.123) == 123 && WattHours.of(-0.0) == nil && WattHours.of(0.0005) == nil && WattHours.of(.nan) == nil)
        let rows = values.enumerated().map { ReadingLog.Row(meter: 1, start: t0 + Int64($0.offset) * 60, kwh: $0.element, quality: .actual, rule: nil) }
        let logged = try ReadingLog.decode(seq: 1, ReadingLog.encode(batch: 1, rows: rows)).rows
        #expect(logged.map(\.kwh.bitPattern) == values.map(\.bitPattern))
        let day = ReadingBlock.day(of: t0)
        let block = ReadingBlock(day: day, records: values.enumerated().map {
            ReadingBlock.Record(start: day * 86_400 + Int64($0.offset) * 60, kwh: $0.element, quality: .actual, rule: nil, batch: 1)
        })
        let stored = try ReadingBlock.decode(meter: 1, day: day, block.encode()).records
        #expect(stored.map(\.kwh.bitPattern) == values.map(\.bitPattern))
    }

    /// A record in the log's second format: as the third, but every value as its bits, and the
    /// rule and quality as rule << 3 | quality.
    static func formatTwo(batch: Int64, rows: [ReadingLog.Row]) -> [UInt8] {
        let rules = RuleNames(rows.lazy.map { $0.rule })
        var w = ByteWriter(capacity: 0)
        w.put(UInt8(2))
        w.put(batch)
        w.names(rules.names)
        w.put(UInt32(rows.count))
        var meter: Int64 = 0, start: Int64 = 0
        for r in rows {
            w.signed(r.meter &- meter)
            w.signed(r.start &- start)
            w.put(r.kwh.bitPattern)
            w.varint(rules.code(r.rule) << 3 | UInt64(r.quality.rawValue))
            meter = r.meter
            start = r.start
        }
        return w.bytes
    }

    /// A record in the log's first format: version 1, batch, rule names, then 27 bytes a row.
    static func formatOne(batch: Int64, rows: [ReadingLog.Row]) -> [UInt8] {
        var out: [UInt8] = [1]
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        var rules: [String] = []
        for r in rows { if let rule = r.rule, !rules.contains(rule) { rules.append(rule) } }
        put(batch)
        put(UInt32(rules.count))
        for rule in rules { put(UInt16(rule.utf8.count)); out += Array(rule.utf8) }
        put(UInt32(rows.count))
        for r in rows {
            put(r.meter); put(r.start); put(r.kwh.bitPattern); out.append(r.quality.rawValue)
            put(UInt16(r.rule.flatMap { rules.firstIndex(of: $0) }.map { $0 + 1 } ?? 0))
        }
        return out
    }

    @Test func aDamagedRecordIsAnErrorNamingItsRowNeverACrash() throws {
        let rows = (0..<20).map { ReadingLog.Row(meter: Int64($0), start: t0, kwh: Double($0), quality: .actual, rule: $0 % 3 == 0 ? "r\($0 % 2)" : nil) }
        let bytes = ReadingLog.encode(batch: 9, rows: rows)
        for n in 0..<bytes.count {
            #expect(throws: ReadingLog.Damaged.self) { try ReadingLog.decode(seq: 5, bytes.prefix(n)) }
        }
        #expect(throws: ReadingLog.Damaged.self) { try ReadingLog.decode(seq: 5, bytes + [0]) }
        let error = #expect(throws: ReadingLog.Damaged.self) { try ReadingLog.decode(seq: 17, [9] + bytes.dropFirst()) }
        #expect(error?.description == "readings_log row 17 is damaged: unknown version 9")
        // Any byte changed: either a record or an error.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            var b = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? ReadingLog.decode(seq: 1, b)
        }
    }

    /// A merge applies a part's readings by meter, then start, each key's in the order logged,
    /// whatever order they were logged in, and whether the part's row ids are close together or far apart.
    @Test(arguments: [Int64(5), 1 << 40])
    func readingsAreMergedInKeyOrderEachKeysInLogOrder(highestMeter: Int64) {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var records: [ReadingLog.Record] = []
            // One part's meters: runs of row ids dealt round the parts, this part's every `parts` runs.
            let run = Int64(ReadingLog.run)
            let meters = (0..<6).map { _ in
                (Int64.random(in: 0...highestMeter, using: &rng) * Int64(ReadingLog.parts) + 3) * run + Int64.random(in: 0..<run, using: &rng)
            }
            #expect(meters.allSatisfy { ReadingLog.part(of: $0) == 3 })
            for seq in 1...Int64.random(in: 1...6, using: &rng) {
                let rows = (0..<Int.random(in: 0...40, using: &rng)).map { i in
                    ReadingLog.Row(meter: meters.randomElement(using: &rng) ?? 3, start: t0 + Int64.random(in: 0...8, using: &rng) * 1800,
                                   kwh: Double(i), quality: .actual, rule: nil)
                }
                records.append(ReadingLog.Record(seq: seq * 10, batch: seq, rows: rows))
            }
            let refs = ReadingLog.pending(records, through: .max)[3]
            #expect(refs.count == records.reduce(0) { $0 + $1.rows.count })
            func key(_ r: ReadingLog.Ref) -> (Int64, Int64, Int64, Int32) {
                let record = records[Int(r.record)], row = record.rows[Int(r.row)]
                return (row.meter, row.start, record.seq, r.row)
            }
            let expected = refs.sorted { key($0) < key($1) }
            #expect(ReadingLog.inMergeOrder(refs, of: records) == expected)
        }
    }

    @Test func aCommitLogsOneRowPerBatchNotOnePerReading() async throws {
        let s = try await store()
        var b = ReadingBatch()
        for m in 0..<500 { b.append(Reading(meter: MeterID("L-\(m)")!, start: t0, kwh: 1)) }
        _ = try await s.write(b, quarantine: [], info: BatchInfo(origin: "gw"))
        let logged = try await s.pool.read { db in try ReadingLog.records(db, after: 0) }
        #expect(logged.count == 1 && logged.first?.rows.count == 500)
        #expect(try await rowsInReadings(s) == 0)
    }

    /// A merge that stopped between parts (a crash, a restart) leaves each reading applied once: the
    /// restart applies only what the parts' marks had not passed, so no correction is made twice.
    @Test func aMergeStoppedBetweenPartsAppliesEachReadingOnce() async throws {
        let a = "M-1", b = "M-2"
        do {
            let s = try await store()
            // Meters registered between A and B give B a row id in the next run, so another part.
            try await s.register(([a] + (1..<ReadingLog.run).map { "F-\($0)" } + [b]).map { Meter(id: MeterID($0)!, source: SourceID("gw")!) })
            for (kwh, slot) in [(5.0, 0), (6.0, 0), (7.0, 0), (1.0, 1)] as [(Double, Int64)] {
                _ = try await s.write(one(a, slot: slot, kwh: kwh), quarantine: [], info: BatchInfo(origin: "gw"))
                _ = try await s.write(one(b, slot: slot, kwh: kwh + 10), quarantine: [], info: BatchInfo(origin: "gw"))
            }
            let rowA = try await s.pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM meters WHERE name = ?", arguments: [a]) } ?? -1
            let rowB = try await s.pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM meters WHERE name = ?", arguments: [b]) } ?? -1
            #expect(ReadingLog.part(of: rowA) != ReadingLog.part(of: rowB))
            // A read about meter A alone merges A's part only.
            #expect(try await s.versions(meter: MeterID(a)!, start: t0).map(\.kwh) == [6, 5])
            #expect(try await rowsInReadings(s) == 2)
            #expect(try await s.pool.read { try ReadingLog.hasRows($0) })
        }
        // Another process opens the store: it merges the rest, and A's corrections are not made again.
        let again = try await store()
        #expect(try await again.versions(meter: MeterID(a)!, start: t0).map(\.kwh) == [6, 5])
        #expect(try await again.versions(meter: MeterID(b)!, start: t0).map(\.kwh) == [16, 15])
        #expect(try await again.readings(meter: MeterID(a)!, from: nil, to: nil, limit: nil).map(\.kwh) == [7, 1])
        #expect(try await again.readings(meter: MeterID(b)!, from: nil, to: nil, limit: nil).map(\.kwh) == [17, 11])
        #expect(try await again.pool.read { try ReadingLog.hasRows($0) } == false)
    }

    /// Two processes on one file: what the other logged is seen by reads here, and a write here
    /// merges it first, so it is judged against the value the other process stored.
    @Test func rowsAnotherProcessLoggedAreSeenAndMergedFirst() async throws {
        let here = try await store("shared.sqlite")
        _ = try await here.write(one("S-1", slot: 0, kwh: 1), quarantine: [], info: BatchInfo(origin: "here"))
        let there = try SQLiteStore(path: dir.path("shared.sqlite"), inboxLimit: 1_000_000)
        _ = try await there.write(one("S-1", slot: 1, kwh: 2), quarantine: [], info: BatchInfo(origin: "there"))
        // `there` merged `here`'s row before writing (it did not hold it); `here` still holds it.
        #expect(try await rowsInReadings(here) == 1)
        #expect(try await here.readings(meter: MeterID("S-1")!, from: nil, to: nil, limit: nil).map(\.kwh) == [1, 2])
        #expect(try await here.latest(meters: [MeterID("S-1")!])[MeterID("S-1")!]?.kwh == 2)
        #expect(try await here.meters().first?.latest?.kwh == 2)
        let same = try await here.write(one("S-1", slot: 1, kwh: 2), quarantine: [], info: BatchInfo(origin: "here"))
        #expect(same.unchanged == 1)
        let fix = try await here.write(one("S-1", slot: 1, kwh: 3), quarantine: [], info: BatchInfo(origin: "here"))
        #expect(fix.corrected == 1)
        #expect(try await there.readings(meter: MeterID("S-1")!, from: nil, to: nil, limit: nil).map(\.kwh) == [1, 3])
        #expect(try await here.counts().readings == 2)
        #expect(try await here.versions(meter: MeterID("S-1")!, start: t0 + 1800).map(\.kwh) == [2])
    }

    /// A store written by a build whose inbox was one table per shard: opening it moves what
    /// waited there into `readings` and drops those tables.
    @Test func theFirstInboxsTablesAreEmptiedAndDropped() async throws {
        let path = dir.path("legacy.sqlite")
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v6-detector-state")
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO meters(id, name, source) VALUES (1, 'OLD-1', 'gw'), (2, 'OLD-2', 'gw')")
                try db.execute(sql: "INSERT INTO readings(meter, start, kwh) VALUES (1, ?, 4)", arguments: [t0])
                try db.execute(sql: "INSERT INTO \(ReadingInbox.legacyTable(1))(meter, start, kwh, quality) VALUES (1, ?, 5, 0), (1, ?, 6, 0)",
                               arguments: [t0, t0 + 1800])
                try db.execute(sql: "INSERT INTO \(ReadingInbox.legacyTable(2))(meter, start, kwh, quality) VALUES (2, ?, 7, 0)", arguments: [t0])
            }
        }
        let s = try SQLiteStore(path: path)
        try await s.migrate()
        #expect(try await s.readings(meter: MeterID("OLD-1")!, from: nil, to: nil, limit: nil).map(\.kwh) == [5, 6])
        #expect(try await s.readings(meter: MeterID("OLD-2")!, from: nil, to: nil, limit: nil).map(\.kwh) == [7])
        #expect(try await s.versions(meter: MeterID("OLD-1")!, start: t0).map(\.kwh) == [4])
        let left = try await s.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE name LIKE 'readings_inbox_%'") }
        #expect(left == 0)
    }
}

extension ReadingLogTests {
    /// A part's merge worked out outside the writer is applied as it was worked out only when the
    /// blocks it read cannot have changed since: the part's mark and the count of direct writes are
    /// as it found them. (Each plan here is altered to store 99 for the first reading, so whether it
    /// was applied shows in what is read back.)
    @Test(arguments: ["nothing", "direct write", "merge"])
    func aMergeWorkedOutBeforeItsTransactionIsAppliedOnlyToTheBlocksItRead(meanwhile: String) async throws {
        let s = try await store()
        for slot in 0..<3 { _ = try await s.write(one("P-1", slot: Int64(slot), kwh: Double(slot + 1)), quarantine: [], info: BatchInfo(origin: "gw")) }
        let row = try await s.pool.read { try Int64.fetchOne($0, sql: "SELECT id FROM meters WHERE name = 'P-1'") } ?? -1
        let part = ReadingLog.part(of: row)
        let (prepared, records, ordered, cut) = try await s.pool.read { db in
            let cut = try ReadingLog.lastSeq(db)
            let records = try ReadingLog.records(db, after: 0, through: cut)
            let ordered = ReadingLog.inMergeOrder(ReadingLog.pending(records, through: cut)[part], of: records)
            return (try ReadingLog.prepare(db, records, ordered, part: part), records, ordered, cut)
        }
        #expect(prepared.plan.blocks.count == 1 && prepared.plan.changes == [.inserted, .inserted, .inserted])
        var altered = prepared
        var block = ReadingBlock(day: ReadingBlock.day(of: t0))
        block.records = (0..<3).map { ReadingBlock.Record(start: t0 + Int64($0) * 1800, kwh: $0 == 0 ? 99 : Double($0 + 1), quality: .actual, rule: nil, batch: 1) }
        altered.plan.blocks[0].data = block.encode()
        switch meanwhile {
        case "direct write": try await s.pool.write { try ReadingLog.countDirectWrite($0) }
        case "merge": try await s.mergeInbox()
        default: break
        }
        let plan = altered
        try await s.pool.write { db in try ReadingLog.merge(db, records, ordered, parts: [part], through: cut, prepared: plan) }
        let kwh = try await s.pool.read { db in try BlockTable.load(db, meter: row, day: ReadingBlock.day(of: self.t0))?.records.map(\.kwh) }
        #expect(kwh == (meanwhile == "nothing" ? [99, 2, 3] : [1, 2, 3]))
        #expect(try await s.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM reading_versions") } == 0)
    }
}
