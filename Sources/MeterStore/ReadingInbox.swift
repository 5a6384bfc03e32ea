import GRDB
import MeterCore
import Synchronization

/// Where live readings that extend their meter's series wait, committed, before they join `readings`.
///
/// `readings` is clustered by `(meter, start)`, so a commit holding one new reading for each of
/// thousands of meters dirties one B-tree page per meter: about a kilobyte of write-ahead log per
/// 25-byte reading. A reading later than anything its meter has stored cannot conflict with a stored
/// one, so it is appended to this rowid-ordered table (one of a few, by meter) instead (a few bytes of log) and moved into
/// `readings` later, many readings per meter at a time, in key order ("merge").
///
/// Guarantees: inbox rows are committed with their batch, so an acknowledged reading is durable
/// either way; a read of readings either merges the inbox first or lays the inbox's last row of
/// each key over `readings` (`waiting`), so a reader sees every reading acknowledged before the
/// read began; a merge is the store's upsert, so the rules of corrections
/// and estimates hold; a store merges what an earlier process left when it opens.
enum ReadingInbox {
    /// The inbox is split by meter into this many tables, so a background merge moves one shard at a
    /// time (a short transaction) and empties its table outright instead of picking rows out of pages.
    static let shards = 128

    static func shard(of meter: Int64) -> Int { Int(UInt64(bitPattern: meter) % UInt64(shards)) }

    static func table(_ shard: Int) -> String { "readings_inbox_\(shard)" }

    static var schema: String {
        (0..<shards).map { """
            CREATE TABLE \(table($0)) (
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

    /// Moves every inbox row into `readings`.
    static func merge(_ db: Database) throws {
        for shard in 0..<shards { try merge(db, shard: shard) }
    }

    /// Moves one shard's rows into `readings` in key order (a key's rows in the order they came, so
    /// the later value wins); returns how many moved.
    @discardableResult
    static func merge(_ db: Database, shard: Int) throws -> Int {
        let table = table(shard)
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table))") ?? false else { return 0 }
        try db.execute(sql: """
            INSERT INTO readings(meter, start, kwh, quality, rule, batch)
            SELECT meter, start, kwh, quality, rule, batch FROM \(table) WHERE true ORDER BY meter, start, seq
            """ + "\n" + ReadingUpsert.onConflict)
        try db.execute(sql: "DELETE FROM \(table)")
        return db.changesCount
    }

    /// A meter's readings waiting in the inbox within a time range, as the merge will leave them:
    /// the last row of each start (every row there is a change the merge applies, in order).
    static func waiting(_ db: Database, meter: Int64, id: MeterID, minutes: Int, from: Int64?, to: Int64?) throws -> [Int64: Reading] {
        var sql = "SELECT start, kwh, quality, rule, batch FROM \(table(shard(of: meter))) WHERE meter = ?"
        var args: [any DatabaseValueConvertible] = [meter]
        if let from { sql += " AND start >= ?"; args.append(from) }
        if let to { sql += " AND start < ?"; args.append(to) }
        var out: [Int64: Reading] = [:]
        let rows = try Row.fetchCursor(db, sql: sql + " ORDER BY seq", arguments: StatementArguments(args))
        while let row = try rows.next() {
            let start: Int64 = row[0]
            out[start] = Reading(meter: id, start: start, minutes: minutes, kwh: row[1], quality: Quality(rawValue: row[2]) ?? .actual,
                                 rule: row[3], batch: row[4])
        }
        return out
    }

    /// A meter's latest reading as the merge will leave it: one waiting at or after its latest stored
    /// one (newer, so it wins a tie), else the stored one.
    static func latest(_ db: Database, meter: Int64, id: MeterID, minutes: Int, stored: Reading?) throws -> Reading? {
        try waiting(db, meter: meter, id: id, minutes: minutes, from: stored?.start, to: nil).values.max { $0.start < $1.start } ?? stored
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

    /// A reading waiting in the inbox, by meter row id rather than name.
    typealias WaitingRow = (start: Int64, kwh: Double, quality: Quality, rule: String?, batch: Int64?)

    /// Each meter's latest reading waiting in the inbox (by meter row id), as the merge will leave it.
    static func latestWaiting(_ db: Database) throws -> [Int64: WaitingRow] {
        var out: [Int64: WaitingRow] = [:]
        for shard in 0..<shards {
            let rows = try Row.fetchCursor(db, sql: """
                SELECT meter, start, kwh, quality, rule, batch FROM (
                    SELECT *, row_number() OVER (PARTITION BY meter ORDER BY start DESC, seq DESC) AS k FROM \(table(shard))
                ) WHERE k = 1
                """)
            while let row = try rows.next() {
                out[row[0]] = (row[1], row[2], Quality(rawValue: row[3]) ?? .actual, row[4], row[5])
            }
        }
        return out
    }

    static func hasRows(_ db: Database) throws -> Bool {
        let any = (0..<shards).map { "SELECT 1 FROM \(table($0))" }.joined(separator: " UNION ALL ")
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (\(any))") ?? false
    }

    /// A meter's latest start in `readings`.
    static func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(start) FROM readings WHERE meter = ?", arguments: [meter]) ?? Int64.min
    }

    /// A stored reading's value in `readings`.
    static func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        let stmt = try db.cachedStatement(sql: "SELECT kwh, quality FROM readings WHERE meter = ? AND start = ?")
        guard let row = try Row.fetchOne(stmt, arguments: [meter, start]) else { return nil }
        return StoredValue(kwh: row[0], quality: Quality(rawValue: row[1]) ?? .actual)
    }
}

/// What the store's writer knows about each meter, by row id: its latest start, and the values it
/// has in the inbox (so a late reading is judged against what it will meet); how many inbox rows
/// wait; whether a background merge is under way.
///
/// Only the writer (inside a write transaction, or its commit and rollback hooks) reads or changes
/// the per-meter part, in place, as it writes; a transaction that rolls back marks it stale, and
/// the next write merges the whole inbox and forgets the latest starts before trusting it again.
/// Arrays by row id instead of hashed keys: live ingest touches every meter in every commit.
final class InboxState: Sendable {
    struct Entry {
        var start: Int64
        var value: StoredValue
    }
    /// A value appended to the inbox for a meter's reading.
    struct Record {
        var meter: Int64
        var start: Int64
        var value: StoredValue
    }
    struct MeterState {
        var latest: Int64?
        var entries: [Entry] = []
    }
    private struct State {
        var pending = 0
        var meters: [MeterState] = []
        /// Meters whose row id is too large for the array.
        var others: [Int64: MeterState] = [:]
        var stale = false
        var merging = false
    }
    private let state = Mutex(State())
    /// Row ids below this live in the array (at most about 40 MB of state); larger ones in `others`.
    private static let arrayLimit: Int64 = 1 << 20

    var pending: Int { state.withLock { $0.pending } }
    var isStale: Bool { state.withLock { $0.stale } }

    private static func update<T>(_ s: inout State, _ meter: Int64, _ body: (inout MeterState) -> T) -> T {
        if meter >= 0, meter < arrayLimit {
            let i = Int(meter)
            if i >= s.meters.count { s.meters.append(contentsOf: repeatElement(MeterState(), count: i + 1 - s.meters.count)) }
            return body(&s.meters[i])
        }
        return body(&s.others[meter, default: MeterState()])
    }

    private static func read<T>(_ s: State, _ meter: Int64, _ body: (MeterState) -> T?) -> T? {
        if meter >= 0, meter < arrayLimit { return Int(meter) < s.meters.count ? body(s.meters[Int(meter)]) : nil }
        return s.others[meter].flatMap(body)
    }

    func latest(_ meter: Int64) -> Int64? { state.withLock { Self.read($0, meter) { $0.latest } } }

    /// Moves a meter's latest start on (never back).
    func setLatest(_ meter: Int64, _ start: Int64) {
        state.withLock { Self.update(&$0, meter) { m in m.latest = max(m.latest ?? start, start) } }
    }

    /// The latest value the inbox holds for a reading, if any.
    func value(_ meter: Int64, _ start: Int64) -> StoredValue? {
        state.withLock { Self.read($0, meter) { m in m.entries.last { $0.start == start }?.value } }
    }

    /// A batch's appended values and its meters' new latest starts, in one step.
    func apply(_ records: [Record], latest: [(meter: Int64, start: Int64)]) {
        guard !records.isEmpty || !latest.isEmpty else { return }
        state.withLock { s in
            for r in records { Self.update(&s, r.meter) { $0.entries.append(Entry(start: r.start, value: r.value)) } }
            for l in latest { Self.update(&s, l.meter) { m in m.latest = max(m.latest ?? l.start, l.start) } }
        }
    }

    /// The whole inbox was merged (inside the current transaction): no values wait.
    func clearValues() {
        state.withLock { s in
            for i in s.meters.indices { s.meters[i].entries.removeAll(keepingCapacity: true) }
            for k in s.others.keys { s.others[k]?.entries.removeAll() }
            s.stale = false
        }
    }

    /// One shard was merged and committed.
    func merged(_ rows: Int, shard: Int) {
        state.withLock { s in
            s.pending = max(0, s.pending - rows)
            for i in stride(from: shard, to: s.meters.count, by: ReadingInbox.shards) {
                s.meters[i].entries.removeAll(keepingCapacity: true)
            }
            for k in s.others.keys where ReadingInbox.shard(of: k) == shard { s.others[k]?.entries.removeAll() }
        }
    }

    /// A write committed: it appended `rows` after merging everything (`mergedAll`) or on top.
    func committed(appended rows: Int, mergedAll: Bool) {
        state.withLock { s in s.pending = mergedAll ? rows : s.pending + rows }
    }

    /// A write that changed this state rolled back: trust nothing until the next full merge.
    func invalidate() {
        state.withLock { s in
            s.meters = []
            s.others = [:]
            s.stale = true
        }
    }

    /// True for the one caller that may start a merge.
    func claimMerge() -> Bool {
        state.withLock { s in
            if s.merging { return false }
            s.merging = true
            return true
        }
    }
    func mergeDone() { state.withLock { $0.merging = false } }
}
