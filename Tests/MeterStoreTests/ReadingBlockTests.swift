import Foundation
import GRDB
import Synchronization
import MeterCore
@testable import MeterStore
import TestSupport
import Testing

/// Stored readings live in blocks of one meter's UTC day: a block reads back as written and refuses
/// damage without crashing; reads cut blocks at any instant; a store written one row per reading is
/// converted when opened, its versions kept.
@Suite struct ReadingBlockTests {
    let dir = TemporaryDirectory()
    /// Midnight UTC.
    let day0: Int64 = 1_795_824_000

    func records(_ day: Int64) -> [ReadingBlock.Record] {
        (0..<48).map { k in
            let kwh: Double = k == 5 ? -.infinity : Double(k) / 8
            let rule: String? = k % 4 == 1 ? "gap_estimation" : k % 7 == 0 ? "spike" : nil
            let batch: Int64? = k == 3 ? nil : Int64(100 + k)
            let start: Int64 = day * 86_400 + Int64(k) * 1800
            return ReadingBlock.Record(start: start, kwh: kwh, quality: Quality(rawValue: UInt8(k % 4)) ?? .actual, rule: rule,
                                       batch: batch, version: Int32(1 + k % 3))
        }
    }

    @Test func aBlockReadsBackAsWritten() throws {
        let day = ReadingBlock.day(of: day0)
        let block = ReadingBlock(day: day, records: records(day))
        let bytes = block.encode()
        // 13 bytes a reading or less: start, batch and version as varint differences.
        #expect(bytes.count <= 1 + 2 + (2 + 14) + (2 + 5) + 4 + 2 + 13 * 48)
        #expect(try ReadingBlock.decode(meter: 1, day: day, bytes) == block)
        // A day of whole watt-hours, each from its own batch (a live meter's): 7 bytes a reading.
        let live = ReadingBlock(day: day, records: (0..<48).map { (k: Int) -> ReadingBlock.Record in
            let start: Int64 = day0 + Int64(k) * 1800, wh: Int = k * 37 % 1000
            return ReadingBlock.Record(start: start, kwh: Double(wh) / 1000, quality: .actual, rule: nil, batch: 500 + Int64(k))
        })
        let liveBytes = live.encode()
        let most: Int = 1 + 2 + 4 + 2 + 7 * 48
        #expect(liveBytes.count <= most)
        #expect(try ReadingBlock.decode(meter: 1, day: day, liveBytes) == live)
        // Blocks in the earlier formats (27 fixed bytes a reading; every value's bits) still read back.
        #expect(try ReadingBlock.decode(meter: 1, day: day, Self.formatOne(block)) == block)
        #expect(try ReadingBlock.decode(meter: 1, day: day, Self.formatTwo(block)) == block)
        #expect(try ReadingBlock.decode(meter: 1, day: day, Self.formatTwo(live)) == live)
        #expect(try ReadingBlock.decode(meter: 1, day: day, ReadingBlock(day: day).encode()).records.isEmpty)
        // Days before 1970 too: a start's offset is from its own day's midnight.
        let early = ReadingBlock.day(of: -1)
        #expect(early == -1)
        let old = ReadingBlock(day: early, records: [ReadingBlock.Record(start: -1800, kwh: 2, quality: .actual, rule: nil, batch: 1)])
        #expect(try ReadingBlock.decode(meter: 1, day: early, old.encode()) == old)
        #expect(block.record(at: day0 + 1800)?.kwh == 0.125)
        #expect(block.record(at: day0 + 1) == nil)
        #expect(block.index(of: day0 + 1) == 1)
    }

    /// A block in the first format: rule names, then per reading its offset, kWh bits, quality,
    /// rule, batch (Int64.min for none) and version at fixed widths.
    static func formatOne(_ block: ReadingBlock) -> [UInt8] {
        var out: [UInt8] = [1]
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        var rules: [String] = []
        for r in block.records { if let rule = r.rule, !rules.contains(rule) { rules.append(rule) } }
        put(UInt16(rules.count))
        for rule in rules { put(UInt16(rule.utf8.count)); out += Array(rule.utf8) }
        put(UInt32(block.records.count))
        for r in block.records {
            put(Int32(r.start - block.day * 86_400)); put(r.kwh.bitPattern); out.append(r.quality.rawValue)
            put(UInt16(r.rule.flatMap { rules.firstIndex(of: $0) }.map { $0 + 1 } ?? 0)); put(r.batch ?? .min); put(r.version)
        }
        return out
    }

    /// A block in the second format: as the third, but every value as its bits, before a tag of
    /// rule << 4 | no batch: 8 | quality.
    static func formatTwo(_ block: ReadingBlock) -> [UInt8] {
        let rules = RuleNames(block.records.lazy.map { $0.rule })
        var w = ByteWriter(capacity: 0)
        w.put(UInt8(2))
        w.names(rules.names)
        w.put(UInt32(block.records.count))
        let base = block.day * 86_400
        var offset: Int64 = 0, batch: Int64 = 0
        for r in block.records {
            w.signed((r.start &- base) &- offset)
            w.put(r.kwh.bitPattern)
            w.varint(rules.code(r.rule) << 4 | (r.batch == nil ? 8 : 0) | UInt64(r.quality.rawValue))
            if let b = r.batch {
                w.signed(b &- batch)
                batch = b
            }
            w.varint(UInt64(UInt32(bitPattern: r.version)))
            offset = r.start &- base
        }
        return w.bytes
    }

    @Test func aDamagedBlockIsAnErrorNamingItsRowNeverACrash() throws {
        let day = ReadingBlock.day(of: day0)
        let bytes = ReadingBlock(day: day, records: Array(records(day).prefix(6))).encode()
        for n in 0..<bytes.count {
            #expect(throws: ReadingBlock.Damaged.self) { try ReadingBlock.decode(meter: 4, day: day, Array(bytes.prefix(n))) }
        }
        #expect(throws: ReadingBlock.Damaged.self) { try ReadingBlock.decode(meter: 4, day: day, bytes + [0]) }
        let error = #expect(throws: ReadingBlock.Damaged.self) { try ReadingBlock.decode(meter: 4, day: day, [9] + bytes.dropFirst()) }
        #expect(error?.description == "day_blocks row (meter 4, day \(day)) is damaged: unknown format 9")
        // Two readings out of order, or one outside the day, are damage too.
        var swapped = ReadingBlock(day: day, records: Array(records(day).prefix(2)))
        swapped.records.reverse()
        #expect(throws: ReadingBlock.Damaged.self) { try ReadingBlock.decode(meter: 4, day: day, swapped.encode()) }
        let outside = ReadingBlock(day: day, records: [ReadingBlock.Record(start: day0 + 86_400, kwh: 1, quality: .actual, rule: nil, batch: 1)])
        #expect(throws: ReadingBlock.Damaged.self) { try ReadingBlock.decode(meter: 4, day: day, outside.encode()) }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            var b = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? ReadingBlock.decode(meter: 1, day: day, b)
        }
    }

    /// Readings across midnights, read back whole and by ranges that cut blocks anywhere, with and
    /// without a limit; one block per meter and day.
    @Test func readsCutBlocksAtAnyInstant() async throws {
        let s = try SQLiteStore(path: dir.path("blocks.sqlite"), inboxLimit: 1_000_000)
        try await s.migrate()
        var b = ReadingBatch()
        let ids = [MeterID("B-1")!, MeterID("B-2")!]
        for id in ids { for k in 0..<(3 * 48) { b.append(Reading(meter: id, start: day0 - 86_400 + Int64(k) * 1800, kwh: Double(k))) } }
        _ = try await s.write(b, quarantine: [], info: BatchInfo(origin: "file"))
        #expect(try await s.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM day_blocks") } == 6)
        #expect(try await s.counts().readings == 2 * 3 * 48)
        let all = try await s.readings(meter: ids[1], from: nil, to: nil, limit: nil)
        #expect(all.map(\.kwh) == (0..<(3 * 48)).map(Double.init))
        for (from, to) in [(day0 - 1800, day0 + 1800), (day0 + 7, day0 + 86_400), (day0 - 86_400, day0 - 86_400 + 1), (day0 + 3 * 86_400, day0 + 4 * 86_400)] {
            let got = try await s.readings(meter: ids[0], from: from, to: to, limit: nil).map(\.start)
            #expect(got == all.map(\.start).filter { $0 >= from && $0 < to }, "\(from)..<\(to)")
        }
        // Ranges at the ends of time read nothing and never trap.
        #expect(try await s.readings(meter: ids[0], from: .max, to: nil, limit: nil).isEmpty)
        #expect(try await s.readings(meter: ids[0], from: nil, to: .min, limit: nil).isEmpty)
        #expect(try await s.readings(meter: ids[0], from: .min, to: .max, limit: nil).count == 3 * 48)
        #expect(try await s.readings(meter: ids[0], from: day0 - 3600, to: nil, limit: 5).map(\.start) == (0..<5).map { day0 - 3600 + Int64($0) * 1800 })
        let box = Mutex<[Reading]>([])
        try await s.scan(ReadingFilter(from: day0 + 86_400 - 1800, to: day0 + 86_400 + 1800)) { r in box.withLock { $0.append(r) } }
        let scanned = box.withLock { $0 }
        #expect(scanned.map(\.meter) == [ids[0], ids[0], ids[1], ids[1]])
        #expect(try await s.latest(meters: ids)[ids[1]]?.start == day0 + 2 * 86_400 - 1800)
        #expect(try await s.recent(meters: ids, count: 50)[ids[0]]?.map(\.kwh) == (94..<144).map(Double.init))
    }

    /// A store written one row per reading (`readings`): opening it moves every reading, its
    /// quality, rule, batch and version into blocks, and a later correction continues its versions.
    @Test func aStoreOfOneRowPerReadingIsConverted() async throws {
        let path = dir.path("rows.sqlite")
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v7-readings-log")
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO meters(id, name, source) VALUES (1, 'R-1', 'gw'), (2, 'R-2', 'gw')")
                for k in 0..<100 {
                    try db.execute(sql: "INSERT INTO readings(meter, start, kwh, quality, rule, batch) VALUES (?, ?, ?, ?, ?, 7)",
                                   arguments: [1 + k % 2, day0 + Int64(k / 2) * 1800, Double(k), k == 10 ? 1 : 0, k == 10 ? "gap_estimation" : nil])
                }
                // A correction under the old schema: its trigger keeps version 1.
                try db.execute(sql: "UPDATE readings SET kwh = 99, version = version + 1 WHERE meter = 1 AND start = ?", arguments: [day0])
            }
        }
        let s = try SQLiteStore(path: path)
        try await s.migrate()
        let one = try await s.readings(meter: MeterID("R-1")!, from: nil, to: nil, limit: nil)
        #expect(one.count == 50 && one.first?.kwh == 99 && one.first?.batch == 7)
        #expect(one[5].quality == .estimated && one[5].rule == "gap_estimation")
        #expect(try await s.counts().readings == 100)
        #expect(try await s.pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'readings')") } == false)
        var b = ReadingBatch()
        b.append(Reading(meter: MeterID("R-1")!, start: day0, kwh: 100))
        for k in 1..<10 { b.append(Reading(meter: MeterID("R-1")!, start: day0 + Int64(k) * 1800, kwh: Double(2 * k))) }
        _ = try await s.write(b, quarantine: [], info: BatchInfo(origin: "file"))
        let versions = try await s.versions(meter: MeterID("R-1")!, start: day0)
        #expect(versions.map(\.version) == [2, 1] && versions.map(\.kwh) == [99, 0])
    }

    /// A store whose blocks were keyed by meter then day (`reading_blocks`): opening it re-keys
    /// every block by day then meter, and each meter's readings, latest reading, counts and
    /// fleet-wide reads are what they were.
    @Test func blocksKeyedByMeterThenDayAreRekeyedByDay() async throws {
        let path = dir.path("by-meter.sqlite")
        let days: [Int64] = [-400, 0, 1, 2, 40]
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v8-reading-blocks")
            try await pool.write { db in
                try db.execute(sql: "DROP TABLE day_blocks")
                try db.execute(sql: "CREATE TABLE reading_blocks (key INTEGER PRIMARY KEY, count INTEGER NOT NULL, last INTEGER NOT NULL, data BLOB NOT NULL)")
                try db.execute(sql: "INSERT INTO meters(id, name, source) VALUES (1, 'K-1', 'gw'), (70000, 'K-2', 'gw')")
                for meter: Int64 in [1, 70000] {
                    for d in days {
                        let day = day0 / 86_400 + d + (meter == 1 ? 0 : 1)
                        let block = ReadingBlock(day: day, records: records(day))
                        try db.execute(sql: "INSERT INTO reading_blocks(key, count, last, data) VALUES (?, ?, ?, ?)",
                                       arguments: [meter * (1 << 24) + day + (1 << 23), block.records.count,
                                                   block.records.last?.start, Data(block.encode())])
                    }
                }
            }
        }
        let s = try SQLiteStore(path: path)
        try await s.migrate()
        func expected(for name: String) -> [ReadingBlock.Record] { days.flatMap { records(day0 / 86_400 + $0 + (name == "K-1" ? 0 : 1)) } }
        for name in ["K-1", "K-2"] {
            let id = MeterID(name)!
            let expected = expected(for: name)
            let read = try await s.readings(meter: id, from: nil, to: nil, limit: nil)
            #expect(read.map(\.start) == expected.map(\.start))
            #expect(read.map(\.kwh) == expected.map(\.kwh))
            #expect(read.map(\.quality) == expected.map(\.quality) && read.map(\.batch) == expected.map(\.batch))
            #expect(try await s.meter(id)?.latest?.start == expected.last?.start)
            let window = try await s.readings(meter: id, from: day0, to: day0 + 2 * 86_400, limit: nil)
            #expect(window.map(\.start) == expected.map(\.start).filter { $0 >= day0 && $0 < day0 + 2 * 86_400 })
        }
        #expect(try await s.counts().readings == 2 * days.count * 48)
        let fleet = Mutex<[String]>([])
        try await s.scan(ReadingFilter(from: day0 + 86_400, to: day0 + 3 * 86_400)) { r in fleet.withLock { $0.append(r.meter.rawValue) } }
        #expect(fleet.withLock { $0 } == Array(repeating: "K-1", count: 96) + Array(repeating: "K-2", count: 96))
        #expect(try await s.pool.read { db in try db.tableExists("reading_blocks") } == false)
        // New days widen a meter's bounds, whichever side they are on.
        var b = ReadingBatch()
        for d: Int64 in [-500, 60] { b.append(Reading(meter: MeterID("K-1")!, start: day0 + d * 86_400, kwh: 3)) }
        _ = try await s.write(b, quarantine: [], info: BatchInfo(origin: "file"))
        try await s.mergeInbox()
        #expect(try await s.pool.read { db in try BlockTable.days(db, meter: 1) }.map { [$0.first, $0.last] } == [day0 / 86_400 - 500, day0 / 86_400 + 60])
        let widened = try await s.readings(meter: MeterID("K-1")!, from: nil, to: nil, limit: nil)
        #expect(widened.count == days.count * 48 + 2 && widened.first?.start == day0 - 500 * 86_400 && widened.last?.start == day0 + 60 * 86_400)
        #expect(try await s.meter(MeterID("K-1")!)?.latest?.start == day0 + 60 * 86_400)
        // A block emptied narrows its meter's bounds again: the latest is the day before's.
        try await s.pool.write { db in try BlockTable.save(db, meter: 1, ReadingBlock(day: day0 / 86_400 + 60)) }
        #expect(try await s.meter(MeterID("K-1")!)?.latest?.start == expected(for: "K-1").last?.start)
    }
}
