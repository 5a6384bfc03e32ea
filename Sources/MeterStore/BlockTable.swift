import Foundation
import GRDB
import MeterCore

/// `reading_blocks`: every stored reading, one row per meter and UTC day (`ReadingBlock`), with the
/// block's meter, reading count and latest start beside it, so counts and a meter's latest start
/// need no decoding. Reads here see what is in the table; the inbox is laid over them by the store.
///
/// The row id is the key: the day (offset by 2^23, so days from about 21,000 BC to 25,000 AD) times
/// 2^39 plus the meter's row id, so rows are clustered by day then meter in the table's own B-tree.
/// A merge or an import writes a day's blocks of neighbouring meters side by side, and new days go
/// at the end of the table, instead of one page split per meter in the middle of it. A meter's blocks
/// are found through the index on (meter, key). A rowid table, not one without rowids: a day of
/// half-hour readings (1.3 kB) then fits in its leaf page instead of spilling to an overflow page.
enum BlockTable {
    static let schema = """
        CREATE TABLE reading_blocks (
            key INTEGER PRIMARY KEY,
            meter INTEGER NOT NULL,
            count INTEGER NOT NULL,
            last INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX reading_blocks_meter ON reading_blocks(meter, key);
        """

    /// Bits of a key that hold the meter's row id.
    private static let meterBits: Int64 = 39
    private static let meterMask: Int64 = (1 << meterBits) - 1
    /// Day offsets a key can hold.
    static let days: Int64 = 1 << 24
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

    /// SQL joining `reading_blocks b` to meters `m`: each meter's blocks between two bound keys
    /// (`keyRange`), through the index, so they stream by meter then day with no sort.
    static let joinSQL = "reading_blocks b INDEXED BY reading_blocks_meter ON b.meter = m.id AND b.key BETWEEN ? AND ?"

    /// Bounds for `joinSQL`: every meter's blocks of the days from `from`'s to the one before
    /// `to`'s end (an empty range when `to` is before any day).
    static func keyRange(from: Int64?, to: Int64?) -> (Int64, Int64) {
        let low = from.map { max(0, min(days - 1, ReadingBlock.day(of: $0) + dayBias)) } ?? 0
        let high = to.map { $0 == .min ? -1 : max(-1, min(days - 1, ReadingBlock.day(of: $0 - 1) + dayBias)) } ?? days - 1
        return (low << meterBits, high < 0 ? -1 : high << meterBits | meterMask)
    }

    /// Re-keys a table written with meter-major keys (meter times 2^24 plus the day offset), and
    /// without the meter column, to day-major ones; does nothing to a table keyed by day already.
    static func convertMeterMajor(_ db: Database) throws {
        guard try !db.columns(in: "reading_blocks").contains(where: { $0.name == "meter" }) else { return }
        try db.execute(sql: "ALTER TABLE reading_blocks RENAME TO reading_blocks_by_meter")
        try db.execute(sql: schema)
        try db.execute(sql: """
            INSERT INTO reading_blocks(key, meter, count, last, data)
            SELECT ((key % \(days)) << \(meterBits)) | (key / \(days)), key / \(days), count, last, data
            FROM reading_blocks_by_meter ORDER BY 1
            """)
        try db.execute(sql: "DROP TABLE reading_blocks_by_meter")
    }

    static func load(_ db: Database, meter: Int64, day: Int64) throws -> ReadingBlock? {
        let stmt = try db.cachedStatement(sql: "SELECT data FROM reading_blocks WHERE key = ?")
        guard let data = try Data.fetchOne(stmt, arguments: [try key(meter: meter, day: day)]) else { return nil }
        return try ReadingBlock.decode(meter: meter, day: day, data)
    }

    /// Writes a block (an empty one is deleted).
    static func save(_ db: Database, meter: Int64, _ block: ReadingBlock) throws {
        let k = try key(meter: meter, day: block.day)
        guard let last = block.records.last else {
            try db.execute(sql: "DELETE FROM reading_blocks WHERE key = ?", arguments: [k])
            return
        }
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO reading_blocks(key, meter, count, last, data) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET count = excluded.count, last = excluded.last, data = excluded.data
            """)
        try stmt.execute(arguments: [k, meter, block.records.count, last.start, Data(block.encode())])
    }

    /// A meter's latest stored start (`Int64.min` when it has none).
    static func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        let stmt = try db.cachedStatement(sql: "SELECT last FROM reading_blocks WHERE meter = ? ORDER BY key DESC LIMIT 1")
        return try Int64.fetchOne(stmt, arguments: [meter]) ?? .min
    }

    /// A stored reading's value.
    static func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        try load(db, meter: meter, day: ReadingBlock.day(of: start))?.record(at: start)?.value
    }

    /// A meter's last `count` stored readings, oldest first.
    static func last(_ db: Database, meter: Int64, count: Int) throws -> [ReadingBlock.Record] {
        guard count > 0 else { return [] }
        let stmt = try db.cachedStatement(sql: "SELECT key, data FROM reading_blocks WHERE meter = ? ORDER BY key DESC")
        let rows = try Row.fetchCursor(stmt, arguments: [meter])
        var newestFirst: [[ReadingBlock.Record]] = []
        var have = 0
        while have < count, let row = try rows.next() {
            let block = try ReadingBlock.decode(meter: meter, day: day(ofKey: row[0]), row[1] as Data)
            newestFirst.append(block.records)
            have += block.records.count
        }
        return Array(newestFirst.reversed().joined().suffix(count))
    }

    /// Total readings stored.
    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT coalesce(sum(count), 0) FROM reading_blocks") ?? 0
    }

    /// Moves the rows of the former one-row-per-reading `readings` table into blocks and drops it.
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
