import Foundation
import GRDB
import MeterCore

/// `reading_blocks`: every stored reading, one row per meter and UTC day (`ReadingBlock`), with the
/// block's reading count and latest start beside it, so counts and a meter's latest start need no
/// decoding. Reads here see what is in the table; the inbox is laid over them by the store.
enum BlockTable {
    static let schema = """
        CREATE TABLE reading_blocks (
            meter INTEGER NOT NULL REFERENCES meters(id),
            day INTEGER NOT NULL,
            count INTEGER NOT NULL,
            last INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (meter, day)
        ) WITHOUT ROWID;
        """

    static func load(_ db: Database, meter: Int64, day: Int64) throws -> ReadingBlock? {
        let stmt = try db.cachedStatement(sql: "SELECT data FROM reading_blocks WHERE meter = ? AND day = ?")
        guard let data = try Data.fetchOne(stmt, arguments: [meter, day]) else { return nil }
        return try ReadingBlock.decode(meter: meter, day: day, data)
    }

    /// Writes a block (an empty one is deleted).
    static func save(_ db: Database, meter: Int64, _ block: ReadingBlock) throws {
        guard let last = block.records.last else {
            try db.execute(sql: "DELETE FROM reading_blocks WHERE meter = ? AND day = ?", arguments: [meter, block.day])
            return
        }
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO reading_blocks(meter, day, count, last, data) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(meter, day) DO UPDATE SET count = excluded.count, last = excluded.last, data = excluded.data
            """)
        try stmt.execute(arguments: [meter, block.day, block.records.count, last.start, Data(block.encode())])
    }

    /// A meter's latest stored start (`Int64.min` when it has none).
    static func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        let stmt = try db.cachedStatement(sql: "SELECT last FROM reading_blocks WHERE meter = ? ORDER BY day DESC LIMIT 1")
        return try Int64.fetchOne(stmt, arguments: [meter]) ?? .min
    }

    /// A stored reading's value.
    static func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        try load(db, meter: meter, day: ReadingBlock.day(of: start))?.record(at: start)?.value
    }

    /// A meter's last `count` stored readings, oldest first.
    static func last(_ db: Database, meter: Int64, count: Int) throws -> [ReadingBlock.Record] {
        guard count > 0 else { return [] }
        let stmt = try db.cachedStatement(sql: "SELECT day, data FROM reading_blocks WHERE meter = ? ORDER BY day DESC")
        let rows = try Row.fetchCursor(stmt, arguments: [meter])
        var newestFirst: [[ReadingBlock.Record]] = []
        var have = 0
        while have < count, let row = try rows.next() {
            let block = try ReadingBlock.decode(meter: meter, day: row[0], row[1] as Data)
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
