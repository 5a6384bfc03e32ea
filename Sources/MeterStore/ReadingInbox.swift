import GRDB
import MeterCore
import Synchronization

/// Where live readings that extend their meter's series wait, committed, before they join their blocks.
///
/// A commit holding one new reading for each of thousands of meters would rewrite one block per
/// meter: kilobytes of write-ahead log per reading. A reading later than anything its meter has
/// stored cannot conflict with a stored one, so it is logged instead (`ReadingLog`: one blob per
/// batch, a few bytes of log a reading), held in memory by the writing process (`InboxState`), and
/// moved into the blocks later, many readings per meter at a time, in key order ("merge").
///
/// Guarantees: logged readings are committed with their batch, so an acknowledged reading is durable
/// either way; a read lays what waits over the blocks (`waiting`), so a reader sees every reading
/// acknowledged before the read began; a merge is the store's upsert, so the rules of corrections
/// and estimates hold; a store merges what an earlier process left when it opens.
enum ReadingInbox {
    /// The tables of the first inbox (one per shard of meters), created by an early migration and
    /// emptied into the former `readings` table and dropped by a later one.
    static func legacyTable(_ shard: Int) -> String { "readings_inbox_\(shard)" }
    static let legacyShards = 128

    static var legacySchema: String {
        (0..<legacyShards).map { """
            CREATE TABLE \(legacyTable($0)) (
                seq INTEGER PRIMARY KEY,
                meter INTEGER NOT NULL,
                start INTEGER NOT NULL,
                kwh REAL NOT NULL,
                quality INTEGER NOT NULL,
                rule TEXT,
                batch INTEGER
            );
            """ }.joined(separator: "\n")
    }

    /// Moves the first inbox's rows into the former `readings` table (a key's rows in the order they came) and drops it.
    static func retireLegacyTables(_ db: Database) throws {
        for shard in 0..<legacyShards {
            let table = legacyTable(shard)
            guard try db.tableExists(table) else { continue }
            try db.execute(sql: """
                INSERT INTO readings(meter, start, kwh, quality, rule, batch)
                SELECT meter, start, kwh, quality, rule, batch FROM \(table) WHERE true ORDER BY meter, start, seq
                ON CONFLICT(meter, start) DO UPDATE SET
                    kwh = excluded.kwh, quality = excluded.quality, rule = excluded.rule,
                    batch = excluded.batch, version = readings.version + 1
                WHERE (readings.kwh <> excluded.kwh OR readings.quality <> excluded.quality)
                  AND NOT (excluded.quality = 1 AND readings.quality <> 1)
                """)
            try db.execute(sql: "DROP TABLE \(table)")
        }
    }

    /// What waits for the meters (row ids; every meter when nil), as a read transaction that began
    /// after `held` was taken must see it: per meter and start, the last change logged that the
    /// snapshot holds and its part's merge mark has not passed. Rows this process does not hold (another
    /// process's, or logged between `held` and the snapshot) are read from the log.
    static func waiting(_ db: Database, held: InboxState.Held, meters: Set<Int64>?) throws -> [Int64: [Int64: ReadingLog.Entry]] {
        let last = try ReadingLog.lastSeq(db)
        let marks = try ReadingLog.marks(db)
        var out: [Int64: [Int64: ReadingLog.Entry]] = [:]
        for (meter, entries) in held.entries {
            let mark = marks[ReadingLog.part(of: meter)]
            for e in entries where e.seq > mark && e.seq <= last { out[meter, default: [:]][e.row.start] = e }
        }
        let from = max(held.through ?? 0, marks.min() ?? 0)
        if last > from {
            for record in try ReadingLog.records(db, after: from, through: last) {
                for (i, row) in record.rows.enumerated() where record.seq > marks[ReadingLog.part(of: row.meter)] && meters?.contains(row.meter) != false {
                    out[row.meter, default: [:]][row.start] = ReadingLog.Entry(seq: record.seq, index: i, batch: record.batch, row: row)
                }
            }
        }
        return out
    }

    /// Waiting entries as readings of a meter.
    static func readings(_ waiting: [Int64: ReadingLog.Entry]?, id: MeterID, minutes: Int, from: Int64? = nil, to: Int64? = nil) -> [Int64: Reading] {
        var out: [Int64: Reading] = [:]
        for (start, e) in waiting ?? [:] where start >= (from ?? .min) && start < (to ?? .max) {
            out[start] = Reading(meter: id, start: start, minutes: minutes, kwh: e.row.kwh, quality: e.row.quality, rule: e.row.rule, batch: e.batch)
        }
        return out
    }

    /// A meter's latest reading as the merge will leave it: one waiting at or after its latest stored
    /// one (newer, so it wins a tie), else the stored one.
    static func latest(_ waiting: [Int64: Reading], stored: Reading?) -> Reading? {
        guard let w = waiting.values.max(by: { $0.start < $1.start }), w.start >= (stored?.start ?? .min) else { return stored }
        return w
    }

    /// Stored readings of one meter in time order with its waiting ones laid over them: what a read
    /// after the merge would return.
    static func laid(_ stored: [Reading], under waiting: [Int64: Reading]) -> [Reading] {
        guard !waiting.isEmpty else { return stored }
        var waiting = waiting
        var out = stored.map { waiting.removeValue(forKey: $0.start) ?? $0 }
        out += waiting.values
        out.sort { $0.start < $1.start }
        return out
    }
}
