import Foundation
import GRDB
import MeterCore

/// `reading_blocks`: every stored reading, one row per meter and UTC day (`ReadingBlock`), with the
/// block's reading count and latest start beside it, so counts and a meter's latest start need no
/// decoding. Reads here see what is in the table; the inbox is laid over them by the store.
///
/// The row id is the key: the meter's row id times 2^24 plus the day (offset by 2^23, so days from
/// about 21,000 BC to 25,000 AD), so rows are clustered by meter then day in the table's own B-tree
/// and a meter's blocks are one row-id range. A rowid table, not one without rowids: a day of
/// half-hour readings (1.3 kB) then fits in its leaf page instead of spilling to an overflow page.
enum BlockTable {
    static let schema = """
        CREATE TABLE reading_blocks (
            key INTEGER PRIMARY KEY,
            count INTEGER NOT NULL,
            last INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """

    /// Keys a meter's blocks span.
    static let span: Int64 = 1 << 24
    private static let dayBias: Int64 = 1 << 23

    struct OutOfRange: Error, CustomStringConvertible {
        var meter: Int64
        var start: Int64
        var description: String { "a reading of meter row \(meter) at \(start) is outside the days the store keeps" }
    }

    /// The key of a meter's block of a day.
    static func key(meter: Int64, day: Int64) throws -> Int64 {
        guard meter >= 0, meter < Int64.max / span - 1, day >= -dayBias, day < dayBias else {
            throw OutOfRange(meter: meter, start: day &* ReadingBlock.secondsPerDay)
        }
        return meter * span + day + dayBias
    }

    static func day(ofKey key: Int64) -> Int64 { key % span - dayBias }

    /// The first and last key of a meter's blocks.
    static func keys(of meter: Int64) -> (Int64, Int64) { (meter &* span, meter &* span &+ (span - 1)) }

    /// SQL for the key range of the blocks of meter `m` (a column) between two bound day offsets.
    static let keyRangeSQL = "BETWEEN m.id * \(span) + ? AND m.id * \(span) + ?"

    /// Day offsets for `keyRangeSQL`: days from `from`'s to the one before `to`'s end.
    static func dayOffsets(from: Int64?, to: Int64?) -> (Int64, Int64) {
        let low = from.map { max(0, min(span - 1, ReadingBlock.day(of: $0) + dayBias)) } ?? 0
        let high = to.map { $0 == .min ? -1 : max(-1, min(span - 1, ReadingBlock.day(of: $0 - 1) + dayBias)) } ?? span - 1
        return (low, high)
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
            INSERT INTO reading_blocks(key, count, last, data) VALUES (?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET count = excluded.count, last = excluded.last, data = excluded.data
            """)
        try stmt.execute(arguments: [k, block.records.count, last.start, Data(block.encode())])
    }

    /// A meter's latest stored start (`Int64.min` when it has none).
    static func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        let stmt = try db.cachedStatement(sql: "SELECT last FROM reading_blocks WHERE key BETWEEN ? AND ? ORDER BY key DESC LIMIT 1")
        let (low, high) = keys(of: meter)
        return try Int64.fetchOne(stmt, arguments: [low, high]) ?? .min
    }

    /// A stored reading's value.
    static func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        try load(db, meter: meter, day: ReadingBlock.day(of: start))?.record(at: start)?.value
    }

    /// A meter's last `count` stored readings, oldest first.
    static func last(_ db: Database, meter: Int64, count: Int) throws -> [ReadingBlock.Record] {
        guard count > 0 else { return [] }
        let stmt = try db.cachedStatement(sql: "SELECT key, data FROM reading_blocks WHERE key BETWEEN ? AND ? ORDER BY key DESC")
        let (low, high) = keys(of: meter)
        let rows = try Row.fetchCursor(stmt, arguments: [low, high])
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
