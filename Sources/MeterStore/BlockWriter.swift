import Foundation
import GRDB
import MeterCore

/// Writes readings into `day_blocks` with the store's upsert rule: a new key is inserted, an
/// identical value is left alone, a different one is a correction (the old version goes to
/// `reading_versions`), and an estimate never replaces a measured value. Each block a write touches
/// is read once and written once, whatever the number of its readings. Must run inside a write
/// transaction.
struct BlockWriter {
    /// One reading to write.
    struct Pending: Sendable {
        var meter: Int64
        var start: Int64
        var kwh: Double
        var quality: Quality
        var rule: String?
        var batch: Int64
    }

    /// Which way one write went.
    enum Change { case inserted, corrected, unchanged }

    /// What the upsert does to a stored value (nil: none stored) given a new one.
    static func change(from old: StoredValue?, to new: StoredValue) -> Change {
        guard let old else { return .inserted }
        if old.kwh == new.kwh && old.quality == new.quality { return .unchanged }
        if new.quality == .estimated && old.quality != .estimated { return .unchanged }
        return .corrected
    }

    /// A value is a number: NaN is refused (the transaction fails) rather than stored.
    static func check(_ kwh: Double) throws {
        guard !kwh.isNaN else {
            throw DatabaseError(resultCode: .SQLITE_CONSTRAINT_NOTNULL, message: "NOT NULL constraint failed: a reading's kWh is not a number")
        }
    }

    private let db: Database
    private let keep: Statement
    private let supersededAt = Int64(Date().timeIntervalSince1970)

    init(_ db: Database) throws {
        self.db = db
        keep = try db.cachedStatement(sql: """
            INSERT INTO reading_versions(meter, start, version, kwh, quality, rule, batch, superseded_at, superseded_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// Writes `rows` and says what each did, in their order. Rows of one key apply in the order
    /// given. Blocks are written in the table's key order (day, then meter), so neighbouring blocks
    /// land on the same pages; given rows by meter, then start, each block is read and written once.
    func write(_ rows: [Pending]) throws -> [Change] {
        let days = rows.map { ReadingBlock.day(of: $0.start) }
        let order = Self.byDay(days)
        var changes = [Change](repeating: .unchanged, count: rows.count)
        // Days that get their meter's first block, by meter: the meters' day bounds widen to them.
        var newDays: [Int64: (first: Int64, last: Int64)] = [:]
        // Each meter's days with a block, read once: a day outside them has none to load (the live
        // case: a merge's days are mostly new).
        var bounds: [Int64: (first: Int64, last: Int64)?] = [:]
        var i = 0
        while i < order.count {
            let meter = rows[order[i]].meter, day = days[order[i]]
            // The rows of this block: its room is made once, not grown reading by reading.
            var end = i + 1
            while end < order.count, rows[order[end]].meter == meter, days[order[end]] == day { end += 1 }
            var block: ReadingBlock
            if bounds[meter] == nil { bounds[meter] = .some(try BlockTable.days(db, meter: meter)) }
            let held = bounds[meter].flatMap { $0 }
            if let held, held.first <= day, day <= held.last, let stored = try BlockTable.load(db, meter: meter, day: day) {
                block = stored
            } else {
                block = ReadingBlock(day: day)
                let known = newDays[meter]
                newDays[meter] = (min(known?.first ?? day, day), max(known?.last ?? day, day))
                // Saved below: a later row of this meter and day loads it.
                bounds[meter] = .some((min(held?.first ?? day, day), max(held?.last ?? day, day)))
            }
            block.records.reserveCapacity(block.records.count + (end - i))
            var dirty = false
            var j = i
            while j < end {
                let p = rows[order[j]]
                try Self.check(p.kwh)
                // Live readings come after everything their block holds: no search for those.
                let appends = block.records.last.map { $0.start < p.start } ?? true
                let k = appends ? block.records.count : block.index(of: p.start)
                let new = ReadingBlock.Record(start: p.start, kwh: p.kwh, quality: p.quality, rule: p.rule, batch: p.batch)
                if k < block.records.count, block.records[k].start == p.start {
                    let old = block.records[k]
                    let change = Self.change(from: old.value, to: new.value)
                    if change == .corrected {
                        try keep.execute(arguments: [meter, p.start, old.version, old.kwh, old.quality.rawValue, old.rule, old.batch,
                                                     supersededAt, p.batch])
                        block.records[k] = new
                        block.records[k].version = old.version &+ 1
                        dirty = true
                    }
                    changes[order[j]] = change
                } else {
                    block.records.insert(new, at: k)
                    dirty = true
                    changes[order[j]] = .inserted
                }
                j += 1
            }
            if dirty { try BlockTable.save(db, meter: meter, block) }
            i = j
        }
        for (meter, days) in newDays { try BlockTable.extend(db, meter: meter, first: days.first, last: days.last) }
        return changes
    }

    /// Positions of `days` by day, those of one day in the order given (a counting sort when the
    /// days are few, as a merge's are).
    static func byDay(_ days: [Int64]) -> [Int] {
        guard let low = days.min(), let high = days.max(), low < high else { return Array(days.indices) }
        guard high - low < Int64(max(4096, days.count)) else {
            return days.indices.sorted { days[$0] != days[$1] ? days[$0] < days[$1] : $0 < $1 }
        }
        var first = [Int](repeating: 0, count: Int(high - low) + 2)
        for d in days { first[Int(d - low) + 1] += 1 }
        for k in 1..<first.count { first[k] += first[k - 1] }
        var out = [Int](repeating: 0, count: days.count)
        for (i, d) in days.enumerated() {
            out[first[Int(d - low)]] = i
            first[Int(d - low)] += 1
        }
        return out
    }
}

/// A stored reading's value and quality: what decides an upsert's outcome.
struct StoredValue: Sendable {
    var kwh: Double
    var quality: Quality
}
