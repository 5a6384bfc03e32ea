import Foundation
import GRDB
import MeterCore

/// The durable form of the inbox: one row per live batch in `readings_log`, its readings packed in
/// one blob, committed with the batch. A commit writes a few sequential pages instead of a page per
/// meter, and the readings reach their blocks (`day_blocks`) later, many per meter at a time ("merge").
///
/// Meters are split by row id into `parts`, runs of `run` consecutive row ids dealt round them, so a
/// part's blocks of a day are neighbours in `day_blocks`; `readings_log_merged` says, for each part, the log row
/// through which that part's readings are in their blocks. A merge moves one part at a time (a short
/// transaction) and advances its mark in the same transaction, so each logged reading is applied to
/// the blocks exactly once, whoever merges and whenever a process stops. A log row goes once every
/// part's mark has passed it.
enum ReadingLog {
    static let parts = 128

    static let run = 16

    static func part(of meter: Int64) -> Int { Int(UInt64(bitPattern: meter) / UInt64(run) % UInt64(parts)) }

    /// A meter's place among the meters of its part: in the order of their row ids, without gaps
    /// between the runs of one part.
    static func rank(inPart meter: Int64) -> Int64 { meter / Int64(run * parts) * Int64(run) + meter % Int64(run) }

    /// Sequence numbers never repeat (AUTOINCREMENT), so marks stay valid after rows are deleted.
    static let schema = """
        CREATE TABLE readings_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL);
        CREATE TABLE readings_log_merged (part INTEGER PRIMARY KEY, through INTEGER NOT NULL);
        """

    /// One logged reading (its batch is the record's).
    struct Row: Equatable, Sendable {
        var meter: Int64
        var start: Int64
        var kwh: Double
        var quality: Quality
        var rule: String?
    }

    /// One log row: a batch's readings in the order they were judged.
    struct Record: Equatable, Sendable {
        var seq: Int64
        var batch: Int64
        var rows: [Row]
    }

    struct Damaged: Error, CustomStringConvertible {
        var seq: Int64
        var reason: String
        var description: String { "readings_log row \(seq) is damaged: \(reason)" }
    }

    // MARK: - Encoding

    /// Little-endian: format (3), batch, the distinct rule names, the row count, then each row as
    /// the difference of its meter and of its start from the row before (zigzag varints: one byte
    /// each in a live batch, whose rows are in key order with one start), its quality, rule and
    /// value's form (a varint: rule index + 1, or 0 for none, times 16, plus 8 for a value in
    /// `WattHours`, plus the quality), then its value: about 5 bytes a reading of watt-hours, 11 of
    /// others. Formats 1 (27 fixed bytes a reading) and 2 (always the value's bits) are still read.
    static func encode(batch: Int64, rows: some Collection<Row>) -> [UInt8] {
        let rules = RuleNames(rows.lazy.map { $0.rule })
        var w = ByteWriter(capacity: 24 + rules.byteCount + rows.count * 12)
        w.put(UInt8(3))
        w.put(batch)
        w.names(rules.names)
        w.put(UInt32(rows.count))
        var meter: Int64 = 0, start: Int64 = 0
        for r in rows {
            let wh = WattHours.of(r.kwh)
            w.signed(r.meter &- meter)
            w.signed(r.start &- start)
            w.varint(rules.code(r.rule) << 4 | (wh == nil ? 0 : 8) | UInt64(r.quality.rawValue))
            w.kwh(r.kwh, wattHours: wh)
            meter = r.meter
            start = r.start
        }
        return w.bytes
    }

    /// Reads a record back; any inconsistency (cut short, unknown format, a rule out of range,
    /// bytes left over) is an error naming the row, never a crash.
    static func decode(seq: Int64, _ bytes: some Collection<UInt8>) throws -> Record {
        try Array(bytes).withUnsafeBytes { raw in
            var r = ByteReader(raw)
            func damaged(_ reason: String) -> Damaged { Damaged(seq: seq, reason: reason) }
            func cut() -> Damaged { damaged("cut short at byte \(r.at)") }
            guard let format = r.take(UInt8.self) else { throw cut() }
            guard (1...3).contains(format) else { throw damaged("unknown version \(format)") }
            guard let batch = r.take(Int64.self) else { throw cut() }
            let rules: [String]
            if format == 1 {
                guard let n = r.take(UInt32.self) else { throw cut() }
                guard n <= UInt16.max else { throw damaged("\(n) rule names") }
                var names: [String] = []
                for _ in 0..<n {
                    guard let len = r.take(UInt16.self), let name = r.string(length: Int(len)) else { throw damaged("rule name cut short at byte \(r.at)") }
                    names.append(name)
                }
                rules = names
            } else {
                guard let names = r.names() else { throw damaged("rule name cut short at byte \(r.at)") }
                rules = names
            }
            guard let count = r.take(UInt32.self).map(Int.init) else { throw cut() }
            if format == 1 {
                guard r.remaining == count * 27 else { throw damaged("\(count) readings do not fill the \(r.remaining) bytes left") }
            } else {
                // The fewest bytes a row takes in the format.
                guard count <= r.remaining / (format == 2 ? 10 : 4) else { throw damaged("\(count) readings in the \(r.remaining) bytes left") }
            }
            var rows: [Row] = []
            rows.reserveCapacity(count)
            var meter: Int64 = 0, start: Int64 = 0
            for _ in 0..<count {
                let kwh: Double, q: UInt8, code: Int
                if format == 1 {
                    guard let m = r.take(Int64.self), let s = r.take(Int64.self), let b = r.take(UInt64.self),
                          let qq = r.take(UInt8.self), let c = r.take(UInt16.self) else { throw cut() }
                    meter = m; start = s; kwh = Double(bitPattern: b); q = qq; code = Int(c)
                } else if format == 2 {
                    guard let dm = r.signed(), let ds = r.signed(), let b = r.take(UInt64.self), let tag = r.varint() else { throw cut() }
                    guard tag >> 3 <= UInt64(rules.count) else { throw damaged("rule \(tag >> 3) of \(rules.count)") }
                    meter = meter &+ dm; start = start &+ ds; kwh = Double(bitPattern: b); q = UInt8(tag & 7); code = Int(tag >> 3)
                } else {
                    guard let dm = r.signed(), let ds = r.signed(), let tag = r.varint() else { throw cut() }
                    guard tag >> 4 <= UInt64(rules.count) else { throw damaged("rule \(tag >> 4) of \(rules.count)") }
                    guard let v = r.kwh(wattHours: tag & 8 != 0) else { throw cut() }
                    meter = meter &+ dm; start = start &+ ds; kwh = v; q = UInt8(tag & 7); code = Int(tag >> 4)
                }
                guard let quality = Quality(rawValue: q) else { throw damaged("unknown quality \(q)") }
                guard code <= rules.count else { throw damaged("rule \(code) of \(rules.count)") }
                rows.append(Row(meter: meter, start: start, kwh: kwh, quality: quality, rule: code == 0 ? nil : rules[code - 1]))
            }
            guard r.remaining == 0 else { throw damaged("\(r.remaining) bytes left over") }
            return Record(seq: seq, batch: batch, rows: rows)
        }
    }

    // MARK: - SQL

    /// Appends a batch's readings; returns the row's sequence number.
    static func append(_ db: Database, batch: Int64, rows: some Collection<Row>) throws -> Int64 {
        let stmt = try db.cachedStatement(sql: "INSERT INTO readings_log(data) VALUES (?)")
        try stmt.execute(arguments: [Data(encode(batch: batch, rows: rows))])
        return db.lastInsertedRowID
    }

    /// The last sequence number ever given (0 before the first row).
    static func lastSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM sqlite_sequence WHERE name = 'readings_log'")) ?? 0
    }

    /// Each part's mark (0: nothing merged yet).
    static func marks(_ db: Database) throws -> [Int64] {
        var out = [Int64](repeating: 0, count: parts)
        for row in try GRDB.Row.fetchAll(db.cachedStatement(sql: "SELECT part, through FROM readings_log_merged")) {
            let p: Int = row[0]
            if p >= 0, p < parts { out[p] = row[1] }
        }
        return out
    }

    /// The log rows after `after` up to `through` (all when nil), in order.
    static func records(_ db: Database, after: Int64, through: Int64? = nil) throws -> [Record] {
        var sql = "SELECT seq, data FROM readings_log WHERE seq > ?"
        var args: [any DatabaseValueConvertible] = [after]
        if let through { sql += " AND seq <= ?"; args.append(through) }
        let rows = try GRDB.Row.fetchCursor(db, sql: sql + " ORDER BY seq", arguments: StatementArguments(args))
        var out: [Record] = []
        while let row = try rows.next() {
            let seq: Int64 = row[0]
            guard let data = row[1] as Data? else { throw Damaged(seq: seq, reason: "no data") }
            out.append(try decode(seq: seq, data))
        }
        return out
    }

    /// A logged reading with where it was logged: its log row and place there (what orders a key's
    /// readings when they are merged) and its batch.
    struct Entry: Equatable, Sendable {
        var seq: Int64
        var index: Int
        var batch: Int64
        var row: Row
    }

    /// Where a logged reading is in a list of records read from the log: the record's place in the
    /// list and the reading's in the record. A merge orders these (8 bytes each) rather than copies
    /// of the readings, and reads each reading once, as it is written to its block.
    struct Ref: Equatable, Sendable {
        var record: Int32
        var row: Int32
    }

    /// The logged readings up to `through`, by part of the meters, each part in the order logged.
    static func pending(_ records: [Record], through: Int64) -> [[Ref]] {
        var out = [[Ref]](repeating: [], count: parts)
        for (k, r) in records.enumerated() where r.seq <= through {
            for (i, row) in r.rows.enumerated() { out[part(of: row.meter)].append(Ref(record: Int32(k), row: Int32(i))) }
        }
        return out
    }

    /// A part's readings in the order a merge applies them: by key, each key's in the order they
    /// were logged. (Sorted one part at a time, just before that part is merged, so the work comes
    /// in short pieces between the writer's other transactions.)
    static func inMergeOrder(_ refs: [Ref], of records: [Record]) -> [Ref] {
        func row(_ r: Ref) -> Row { records[Int(r.record)].rows[Int(r.row)] }
        // Meters in ascending order, each meter's readings in the order logged (a counting sort),
        // then by start: live readings are logged in time order, so a meter's are usually in order
        // already. When the places of one part's meters (`rank(inPart:)`) are few enough, they
        // index plain arrays, not a hashed table.
        let meters = refs.map { row($0).meter }
        let low = meters.min() ?? 0, high = meters.max() ?? 0
        let span = Self.rank(inPart: high) - Self.rank(inPart: low)
        var group = [Int32](repeating: 0, count: refs.count)
        var firstSeen: [Int64] = []
        var counts: [Int] = []
        func place(_ n: Int, _ g: Int32?) -> Int32 {
            if let g { counts[Int(g)] += 1; return g }
            firstSeen.append(meters[n])
            counts.append(1)
            return Int32(firstSeen.count - 1)
        }
        if low >= 0, span < Int64(max(1024, 4 * refs.count)) {
            let base = Self.rank(inPart: low)
            var slot = [Int32](repeating: -1, count: Int(span) + 1)
            for n in refs.indices {
                let k = Int(Self.rank(inPart: meters[n]) - base)
                let g = place(n, slot[k] >= 0 ? slot[k] : nil)
                slot[k] = g
                group[n] = g
            }
        } else {
            var index: [Int64: Int32] = [:]
            for n in refs.indices {
                let g = place(n, index[meters[n]])
                index[meters[n]] = g
                group[n] = g
            }
        }
        var first = [Int](repeating: 0, count: firstSeen.count)
        var at = 0
        for g in firstSeen.indices.sorted(by: { firstSeen[$0] < firstSeen[$1] }) { first[g] = at; at += counts[g] }
        var out = refs
        var next = first
        for (n, r) in refs.enumerated() {
            let g = Int(group[n])
            out[next[g]] = r
            next[g] += 1
        }
        for g in firstSeen.indices where counts[g] > 1 {
            let range = first[g]..<(first[g] + counts[g])
            let starts = out[range].map { row($0).start }
            if !zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }) {
                // Records are read in log order, so a record's place orders like its sequence number.
                // Sorted by keys read once: a comparison that reads two rows waits on memory twice.
                var keyed = zip(starts, out[range]).map { (start: $0, ref: $1) }
                keyed.sort { a, b in
                    a.start != b.start ? a.start < b.start : a.ref.record != b.ref.record ? a.ref.record < b.ref.record : a.ref.row < b.ref.row
                }
                out.replaceSubrange(range, with: keyed.map(\.ref))
            }
        }
        return out
    }

    /// The row of `readings_log_merged`, beside the parts' marks, that counts the writes made
    /// straight into the blocks (a file's batch), so a merge worked out before its transaction knows
    /// whether the blocks it read may have changed since.
    private static let directWritesRow = -1

    /// Counts a write made straight into the blocks, in its transaction.
    static func countDirectWrite(_ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO readings_log_merged(part, through) VALUES (?1, 1)
            ON CONFLICT(part) DO UPDATE SET through = through + 1
            """).execute(arguments: [directWritesRow])
    }

    /// A part's mark (0: nothing merged yet), or the count of direct writes for `directWritesRow`.
    private static func readMark(_ db: Database, part: Int) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT through FROM readings_log_merged WHERE part = ?"), arguments: [part]) ?? 0
    }

    /// One part's merge worked out from a snapshot, before its transaction (`prepare`), with what it
    /// took for granted: the part's mark and the count of direct writes then. `merge` applies it if
    /// both are unchanged, so the blocks are as it read them; otherwise it works the merge out again.
    struct Prepared: Sendable {
        var part: Int
        var mark: Int64
        var directWrites: Int64
        var plan: BlockWriter.Plan
    }

    /// Works out the merge of one part's readings (`refs`, in the order `inMergeOrder` gives) that
    /// its mark has not passed, reading the blocks and writing nothing: in a read, so the store's
    /// writer only applies the result.
    static func prepare(_ db: Database, _ records: [Record], _ refs: [Ref], part: Int) throws -> Prepared {
        let mark = try readMark(db, part: part), direct = try readMark(db, part: directWritesRow)
        var marks = [Int64](repeating: .max, count: parts)
        marks[part] = mark
        return Prepared(part: part, mark: mark, directWrites: direct, plan: try BlockWriter.plan(db, pendingRows(records, refs, marks: marks)))
    }

    /// The readings `refs` points at whose log rows come after their part's mark, as the block
    /// writer takes them.
    private static func pendingRows(_ records: [Record], _ refs: [Ref], marks: [Int64]) -> [BlockWriter.Pending] {
        var rows: [BlockWriter.Pending] = []
        rows.reserveCapacity(refs.count)
        for ref in refs {
            let k = Int(ref.record), i = Int(ref.row)
            let seq = records[k].seq, meter = records[k].rows[i].meter
            guard seq > marks[part(of: meter)] else { continue }
            let row = records[k].rows[i]
            rows.append(BlockWriter.Pending(meter: meter, start: row.start, kwh: row.kwh, quality: row.quality, rule: row.rule,
                                            batch: records[k].batch))
        }
        return rows
    }

    /// Applies the readings `refs` points at (in the order `inMergeOrder` gives) that the marks of
    /// `parts` have not passed, with the store's upsert rule (`BlockWriter`), then moves those marks
    /// to `through`. A merge `prepared` for the one part is applied as it is when its mark and the
    /// direct writes are as it found them.
    static func merge(_ db: Database, _ records: [Record], _ refs: [Ref], parts: [Int], through: Int64, prepared: Prepared? = nil) throws {
        // Only the merged parts' marks are read: a merge of one part is one of a run of many.
        var marks = [Int64](repeating: .max, count: Self.parts)
        for p in parts { marks[p] = try readMark(db, part: p) }
        if let prepared, parts == [prepared.part], marks[prepared.part] == prepared.mark,
           try readMark(db, part: directWritesRow) == prepared.directWrites {
            try BlockWriter(db).apply(prepared.plan)
        } else {
            _ = try BlockWriter(db).write(pendingRows(records, refs, marks: marks))
        }
        let mark = try db.cachedStatement(sql: """
            INSERT INTO readings_log_merged(part, through) VALUES (?, ?)
            ON CONFLICT(part) DO UPDATE SET through = max(through, excluded.through)
            """)
        for p in parts { try mark.execute(arguments: [p, through]) }
    }

    /// Moves every logged reading into the blocks and empties the log; returns the last sequence
    /// number, through which every part is now merged.
    @discardableResult
    static func mergeAll(_ db: Database) throws -> Int64 {
        let last = try lastSeq(db)
        guard try hasRows(db) else { return last }
        let all = try records(db, after: try marks(db).min() ?? 0, through: last)
        // Parts in turn, each in key order: one key's readings are all in one part.
        try merge(db, all, pending(all, through: last).flatMap { inMergeOrder($0, of: all) }, parts: Array(0..<parts), through: last)
        try db.execute(sql: "DELETE FROM readings_log")
        return last
    }

    /// Deletes up to `limit` of the oldest log rows that every part has passed; returns whether
    /// more such rows remain. A merge's rows are deleted a few at a time, each few in a transaction
    /// of its own: a row is a blob over several pages, and freeing them all at once holds the writer
    /// (and the acknowledgements waiting on it) for tens of milliseconds.
    @discardableResult
    static func dropMerged(_ db: Database, limit: Int = .max) throws -> Bool {
        let marks = try marks(db)
        guard let low = marks.min(), low > 0 else { return false }
        try db.execute(sql: "DELETE FROM readings_log WHERE seq IN (SELECT seq FROM readings_log WHERE seq <= ? ORDER BY seq LIMIT ?)",
                       arguments: [low, limit])
        return db.changesCount == limit
    }

    static func hasRows(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM readings_log)") ?? false
    }
}
