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
/// either way; every read of readings merges the inbox first, so a reader sees every reading
/// acknowledged before the read began; a merge is the store's upsert, so the rules of corrections
/// and estimates hold; a store merges what an earlier process left when it opens.
enum ReadingInbox {
    /// The inbox is split by meter into this many tables, so a background merge moves one shard at a
    /// time (a short transaction) and empties its table outright instead of picking rows out of pages.
    static let shards = 32

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

    static func hasRows(_ db: Database) throws -> Bool {
        let any = (0..<shards).map { "SELECT 1 FROM \(table($0))" }.joined(separator: " UNION ALL ")
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (\(any))") ?? false
    }

    /// A meter's latest start in `readings`.
    static func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(start) FROM readings WHERE meter = ?", arguments: [meter]) ?? Int64.min
    }

    /// A stored reading's value in `readings`.
    static func stored(_ db: Database, _ key: InboxKey) throws -> StoredValue? {
        let stmt = try db.cachedStatement(sql: "SELECT kwh, quality FROM readings WHERE meter = ? AND start = ?")
        guard let row = try Row.fetchOne(stmt, arguments: [key.meter, key.start]) else { return nil }
        return StoredValue(kwh: row[0], quality: Quality(rawValue: row[1]) ?? .actual)
    }
}

/// Latest start per meter row id, for meters whose latest start is committed; shared by every write.
final class LatestStarts: Sendable {
    private let map = Mutex<[Int64: Int64]>([:])
    subscript(meter: Int64) -> Int64? { map.withLock { $0[meter] } }
    func merge(_ starts: [Int64: Int64]) {
        guard !starts.isEmpty else { return }
        map.withLock { $0.merge(starts) { old, new in max(old, new) } }
    }
}

/// A reading's key in the store.
struct InboxKey: Hashable, Sendable {
    var meter: Int64
    var start: Int64
}

/// The committed inbox in memory: how many rows wait, each key's latest value there (so a late
/// reading is judged against what it will meet), and whether a background merge is under way.
final class InboxState: Sendable {
    private struct State {
        var pending = 0
        /// By shard, so a shard's merge drops its own values only.
        var values = [[InboxKey: StoredValue]](repeating: [:], count: ReadingInbox.shards)
        var merging = false
    }
    private let state = Mutex(State())

    var pending: Int { state.withLock { $0.pending } }
    subscript(key: InboxKey) -> StoredValue? { state.withLock { $0.values[ReadingInbox.shard(of: key.meter)][key] } }
    func appended(_ n: Int, values: [InboxKey: StoredValue]) {
        guard n > 0 else { return }
        state.withLock { s in
            s.pending += n
            for (key, value) in values { s.values[ReadingInbox.shard(of: key.meter)][key] = value }
        }
    }
    /// The inbox was merged: nothing waits.
    func merged() {
        state.withLock { s in
            s.pending = 0
            for i in s.values.indices { s.values[i].removeAll(keepingCapacity: true) }
        }
    }
    /// One shard was merged.
    func merged(_ rows: Int, shard: Int) {
        state.withLock { s in
            s.pending = max(0, s.pending - rows)
            s.values[shard].removeAll(keepingCapacity: true)
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

