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

/// What the writing process knows of the inbox: each meter's latest start, and the readings it has
/// logged and not yet seen merged (so a late reading is judged against the value it will meet, and
/// reads lay them over the blocks without reading the log); how many wait; whether a merge is under way.
///
/// Only the writer (inside a write transaction, or its commit and rollback hooks) changes it. A
/// transaction that rolls back marks it stale, and the next write merges the whole log before
/// trusting it again. `through`: every log row up to it that this process has not seen merged is
/// held here (nil: unknown, so reads take what waits from the log itself).
/// Arrays by row id instead of hashed keys: live ingest touches every meter in every commit.
final class InboxState: Sendable {
    typealias Entry = ReadingLog.Entry
    struct MeterState {
        var latest: Int64?
        /// In the order they were logged.
        var entries: [Entry] = []
    }
    /// A reader's copy: the entries of some meters, and how far the log is held.
    struct Held: Sendable {
        var through: Int64?
        var entries: [Int64: [Entry]] = [:]
    }
    private struct State {
        var pending = 0
        var meters: [MeterState] = []
        /// Meters whose row id is too large for the array.
        var others: [Int64: MeterState] = [:]
        var through: Int64?
        /// Log rows up to this one are known to be committed (later entries may still roll back).
        var committed: Int64 = 0
        var stale = false
        var merging = false
    }
    private let state = Mutex(State())
    /// Row ids below this live in the array; larger ones in `others`.
    private static let arrayLimit: Int64 = 1 << 20

    var pending: Int { state.withLock { $0.pending } }
    var isStale: Bool { state.withLock { $0.stale } }
    var through: Int64? { state.withLock { $0.through } }

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

    /// The latest value logged and not merged for a reading, if any.
    func value(_ meter: Int64, _ start: Int64) -> StoredValue? {
        state.withLock { Self.read($0, meter) { m in m.entries.last { $0.row.start == start }.map { StoredValue(kwh: $0.row.kwh, quality: $0.row.quality) } } }
    }

    /// A batch's logged readings (log row `seq`, none when nil) and its meters' new latest starts, in one step.
    func apply(seq: Int64?, batch: Int64, rows: [ReadingLog.Row], latest: [(meter: Int64, start: Int64)]) {
        guard !rows.isEmpty || !latest.isEmpty else { return }
        state.withLock { s in
            if let seq {
                for (i, r) in rows.enumerated() {
                    Self.update(&s, r.meter) { $0.entries.append(Entry(seq: seq, index: i, batch: batch, row: r)) }
                }
                s.pending += rows.count
                // Held without a gap only if everything before was.
                if let t = s.through, t < seq { s.through = seq }
            }
            for l in latest { Self.update(&s, l.meter) { m in m.latest = max(m.latest ?? l.start, l.start) } }
        }
    }

    /// A transaction that logged rows up to `seq` committed.
    func committed(through seq: Int64) {
        state.withLock { $0.committed = max($0.committed, seq) }
    }

    /// Parts of the log were merged through `mark` and committed: their entries up to it are in the blocks.
    func merged(parts: some Sequence<Int>, through mark: Int64) {
        state.withLock { s in
            var dropped = 0
            for part in parts {
                for i in stride(from: part, to: s.meters.count, by: ReadingLog.parts) {
                    Self.drop(&s.meters[i].entries, through: mark, count: &dropped)
                }
                for k in s.others.keys where ReadingLog.part(of: k) == part {
                    Self.drop(&s.others[k, default: MeterState()].entries, through: mark, count: &dropped)
                }
            }
            s.pending = max(0, s.pending - dropped)
        }
    }

    private static func drop(_ entries: inout [Entry], through mark: Int64, count: inout Int) {
        guard let first = entries.first, first.seq <= mark else { return }
        let n = entries.firstIndex { $0.seq > mark } ?? entries.count
        entries.removeFirst(n)
        count += n
    }

    /// A transaction that merged the whole log through `mark` committed; the log is held from then
    /// on, through `last` (the last row that transaction logged, if later).
    func mergedAll(through mark: Int64, last: Int64?) {
        merged(parts: 0..<ReadingLog.parts, through: mark)
        state.withLock { s in
            s.stale = false
            s.through = max(mark, last ?? mark, s.through ?? mark)
        }
    }

    /// A write that changed this state rolled back: trust nothing until the next full merge.
    func invalidate() {
        state.withLock { s in
            s.meters = []
            s.others = [:]
            s.pending = 0
            s.through = nil
            s.stale = true
        }
    }

    /// A copy of what the named meters (row ids) have waiting, for a read about to begin.
    func held(meters: some Sequence<Int64>) -> Held {
        state.withLock { s in
            var out = Held(through: s.through)
            for m in meters {
                if let e = Self.read(s, m, { $0.entries }), !e.isEmpty { out.entries[m] = e }
            }
            return out
        }
    }

    /// A copy of what decides each meter's latest reading, for a read of the fleet: its entries at
    /// or after its latest committed start, and any not known to be committed.
    func heldLatest() -> Held {
        state.withLock { s in
            var out = Held(through: s.through)
            let committed = s.committed
            func take(_ m: Int64, _ entries: [Entry]) {
                let top = entries.lazy.filter { $0.seq <= committed }.map(\.row.start).max() ?? .min
                out.entries[m] = entries.filter { $0.row.start >= top || $0.seq > committed }
            }
            for (i, m) in s.meters.enumerated() where !m.entries.isEmpty { take(Int64(i), m.entries) }
            for (k, m) in s.others where !m.entries.isEmpty { take(k, m.entries) }
            return out
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
