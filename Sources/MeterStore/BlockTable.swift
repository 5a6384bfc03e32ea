import Foundation
import GRDB
import MeterCore

/// `day_blocks`: every stored reading, one row per meter and UTC day (`ReadingBlock`), with the
/// block's reading count and latest start beside it, so counts and a meter's latest start need no
/// decoding. Reads here see what is in the table; the inbox is laid over them by the store.
///
/// The row id is the key: the day (offset by 2^23, so days from about 21,000 BC to 25,000 AD) times
/// 2^39 plus the meter's row id, so rows are clustered by day then meter in the table's own B-tree.
/// A merge or an import writes a day's blocks of neighbouring meters side by side, and new days go
/// at the end of the table, instead of one page split per meter in the middle of it. Each meter's
/// first and last day with a block are kept in `meters` (`first_day`, `last_day`; blocks are never
/// removed, so they only widen), and a meter's blocks are found by their keys, day by day, between
/// them: no second index to keep up at every new block. A rowid table, not one without rowids: a day
/// of half-hour readings (1.3 kB) then fits in its leaf page instead of spilling to an overflow page.
enum BlockTable {
    static let schema = """
        CREATE TABLE day_blocks (
            key INTEGER PRIMARY KEY,
            count INTEGER NOT NULL,
            last INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """

    /// Bits of a key that hold the meter's row id.
    private static let meterBits: Int64 = 39
    private static let meterMask: Int64 = (1 << meterBits) - 1
    private static let dayBias: Int64 = 1 << 23

    struct OutOfRange: Error, CustomStringConvertible {
        var meter: Int64
        var start: Int64
        var description: String { "a reading of meter row \(meter) at \(start) is outside the days the store keeps" }
    }

    /// The key of a meter's block of a day.
    static func key(meter: Int64, day: Int64) throws -> Int64 {
        guard meter >= 0, meter <= meterMask, day >= -dayBias, day < dayBias else {
            throw OutOfRange(meter: meter, start: day &* ReadingBlock.secondsPerDay)
        }
        return (day + dayBias) << meterBits | meter
    }

    static func day(ofKey key: Int64) -> Int64 { (key >> meterBits) - dayBias }

    /// SQL for the key of meter `m`'s (a column) block of its last day.
    static let lastBlockKeySQL = "((m.last_day + \(dayBias)) << \(meterBits) | m.id)"

    /// Days from `from`'s to the one before `to`'s end (empty when `to` is before any).
    static func days(from: Int64?, to: Int64?) -> (Int64, Int64) {
        (from.map(ReadingBlock.day(of:)) ?? .min, to.map { $0 == .min ? .min : ReadingBlock.day(of: $0 - 1) } ?? .max)
    }

    /// A meter's first and last day with a block (nil: none).
    static func days(_ db: Database, meter: Int64) throws -> (first: Int64, last: Int64)? {
        let stmt = try db.cachedStatement(sql: "SELECT first_day, last_day FROM meters WHERE id = ? AND last_day IS NOT NULL")
        return try Row.fetchOne(stmt, arguments: [meter]).map { ($0[0], $0[1]) }
    }

    /// Widens meters' day bounds to days that now have a block.
    static func extend(_ db: Database, meter: Int64, first: Int64, last: Int64) throws {
        try db.cachedStatement(sql: """
            UPDATE meters SET first_day = min(coalesce(first_day, ?1), ?1), last_day = max(coalesce(last_day, ?2), ?2) WHERE id = ?3
            """).execute(arguments: [first, last, meter])
    }

    /// Moves blocks keyed meter-major (`reading_blocks`: the meter times 2^24 plus the day offset)
    /// into `day_blocks`, then gives every meter its day bounds.
    static func rekeyMeterMajor(_ db: Database) throws {
        if try db.tableExists("reading_blocks") {
            try db.execute(sql: schema)
            let days: Int64 = 1 << 24
            try db.execute(sql: """
                INSERT INTO day_blocks(key, count, last, data)
                SELECT ((key % \(days)) << \(meterBits)) | (key / \(days)), count, last, data FROM reading_blocks ORDER BY 1
                """)
            try db.execute(sql: "DROP TABLE reading_blocks")
        }
        try db.execute(sql: "ALTER TABLE meters ADD COLUMN first_day INTEGER")
        try db.execute(sql: "ALTER TABLE meters ADD COLUMN last_day INTEGER")
        try db.execute(sql: """
            UPDATE meters SET first_day = d.first, last_day = d.last
            FROM (SELECT key & \(meterMask) AS meter, min(key >> \(meterBits)) - \(dayBias) AS first,
                         max(key >> \(meterBits)) - \(dayBias) AS last
                  FROM day_blocks GROUP BY 1) AS d
            WHERE d.meter = meters.id
            """)
    }

    static func load(_ db: Database, meter: Int64, day: Int64) throws -> ReadingBlock? {
        let stmt = try db.cachedStatement(sql: "SELECT data FROM day_blocks WHERE key = ?")
        guard let data = try Data.fetchOne(stmt, arguments: [try key(meter: meter, day: day)]) else { return nil }
        return try ReadingBlock.decode(meter: meter, day: day, data)
    }

    /// Writes a block; the meter's day bounds are the caller's to widen. An empty block is deleted
    /// and the bounds are worked out again (a scan of the table: no write path empties a block).
    static func save(_ db: Database, meter: Int64, _ block: ReadingBlock) throws {
        let k = try key(meter: meter, day: block.day)
        guard let last = block.records.last else {
            try db.execute(sql: "DELETE FROM day_blocks WHERE key = ?", arguments: [k])
            try db.execute(sql: """
                UPDATE meters SET (first_day, last_day) = (SELECT min(key >> \(meterBits)) - \(dayBias), max(key >> \(meterBits)) - \(dayBias)
                                                           FROM day_blocks WHERE key & \(meterMask) = ?1)
                WHERE id = ?1
                """, arguments: [meter])
            return
        }
        try put(db, key: k, count: Int64(block.records.count), last: last.start, data: block.encode())
    }

    /// Writes an encoded block under its key (`count` readings, the latest starting at `last`).
    static func put(_ db: Database, key: Int64, count: Int64, last: Int64, data: [UInt8]) throws {
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO day_blocks(key, count, last, data) VALUES (?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET count = excluded.count, last = excluded.last, data = excluded.data
            """)
        try stmt.run { s in
            Bind.int(s, 1, key)
            Bind.int(s, 2, count)
            Bind.int(s, 3, last)
            Bind.blob(s, 4, data)
        }
    }

    /// A meter's latest stored start (`Int64.min` when it has none).
    static func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        let stmt = try db.cachedStatement(sql: "SELECT b.last FROM meters m JOIN day_blocks b ON b.key = \(lastBlockKeySQL) WHERE m.id = ?")
        return try Int64.fetchOne(stmt, arguments: [meter]) ?? .min
    }

    /// A stored reading's value.
    static func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        try load(db, meter: meter, day: ReadingBlock.day(of: start))?.record(at: start)?.value
    }

    /// A meter's blocks of the days `low` to `high` (within its bounds), in day order, or newest
    /// first with `descending`, while `body` returns true.
    static func blocks(_ db: Database, meter: Int64, days low: Int64, _ high: Int64, descending: Bool = false,
                       _ body: (ReadingBlock) throws -> Bool) throws {
        guard let bounds = try days(db, meter: meter) else { return }
        let first = max(low, bounds.first), last = min(high, bounds.last)
        guard first <= last else { return }
        // Days a key can hold, checked here: the SQL below would otherwise overflow silently.
        _ = try key(meter: meter, day: first)
        _ = try key(meter: meter, day: last)
        // The days are counted out in SQL, each looked up by key there, in the order counted
        // (`CROSS JOIN` keeps the days the outer loop).
        let stmt = try db.cachedStatement(sql: descending ? """
            WITH RECURSIVE d(day) AS (SELECT ?2 UNION ALL SELECT day - 1 FROM d WHERE day > ?1)
            SELECT d.day, b.data FROM d CROSS JOIN day_blocks b ON b.key = ((d.day + \(dayBias)) << \(meterBits) | ?3)
            """ : """
            WITH RECURSIVE d(day) AS (SELECT ?1 UNION ALL SELECT day + 1 FROM d WHERE day < ?2)
            SELECT d.day, b.data FROM d CROSS JOIN day_blocks b ON b.key = ((d.day + \(dayBias)) << \(meterBits) | ?3)
            """)
        let rows = try Row.fetchCursor(stmt, arguments: [first, last, meter])
        while let row = try rows.next() {
            guard try body(ReadingBlock.decode(meter: meter, day: row[0], row[1] as Data)) else { return }
        }
    }

    /// A meter's last `count` stored readings, oldest first.
    static func last(_ db: Database, meter: Int64, count: Int) throws -> [ReadingBlock.Record] {
        guard count > 0 else { return [] }
        var newestFirst: [[ReadingBlock.Record]] = []
        var have = 0
        try blocks(db, meter: meter, days: .min, .max, descending: true) { block in
            newestFirst.append(block.records)
            have += block.records.count
            return have < count
        }
        return Array(newestFirst.reversed().joined().suffix(count))
    }

    /// Total readings stored.
    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT coalesce(sum(count), 0) FROM day_blocks") ?? 0
    }

    /// Moves the rows of the former one-row-per-reading `readings` table into blocks and drops it
    /// (their meters' day bounds are set by the migration after, `rekeyMeterMajor`).
    static func convertRowTable(_ db: Database) throws {
        try db.execute(sql: schema)
        let rows = try Row.fetchCursor(db, sql: "SELECT meter, start, kwh, quality, rule, batch, version FROM readings ORDER BY meter, start")
        var meter = Int64.min
        var block = ReadingBlock(day: .min)
        while let row = try rows.next() {
            let m: Int64 = row[0], start: Int64 = row[1]
            let day = ReadingBlock.day(of: start)
            if m != meter || day != block.day {
                if meter != .min { try save(db, meter: meter, block) }
                meter = m
                block = ReadingBlock(day: day)
            }
            block.records.append(ReadingBlock.Record(start: start, kwh: row[2], quality: Quality(rawValue: row[3]) ?? .actual,
                                                     rule: row[4], batch: row[5], version: Int32(clamping: row[6] as Int64)))
        }
        if meter != .min { try save(db, meter: meter, block) }
        try db.execute(sql: "DROP TABLE readings")
    }
}
