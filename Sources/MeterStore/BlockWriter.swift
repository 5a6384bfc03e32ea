import Foundation
import GRDB
import MeterCore

/// Writes readings into `day_blocks` with the store's upsert rule: a new key is inserted, an
/// identical value is left alone, a different one is a correction (the old version goes to
/// `reading_versions`), and an estimate never replaces a measured value. Each block a write touches
/// is read once and written once, whatever the number of its readings. `write` and `apply` must run
/// inside a write transaction; `plan` only reads, so a merge can work its blocks out beside the writer.
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
    enum Change: Sendable { case inserted, corrected, unchanged }

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

    /// A write worked out from the blocks as they stood when it was planned, ready to apply: each
    /// block it changes (encoded), the versions its corrections replace, the meters' widened day
    /// bounds, and what each row did. Applied to anything but those same blocks, it would undo what
    /// changed them since; `ReadingLog` checks that nothing did.
    struct Plan: Sendable {
        struct Block: Sendable {
            var key: Int64
            var count: Int64
            var last: Int64
            var data: [UInt8]
        }
        /// A version a correction replaced, to be kept in `reading_versions`.
        struct Replaced: Sendable {
            var meter: Int64
            var old: ReadingBlock.Record
            var by: Int64
        }
        var blocks: [Block] = []
        var replaced: [Replaced] = []
        var newDays: [(meter: Int64, first: Int64, last: Int64)] = []
        var changes: [Change]
        var supersededAt: Int64
    }

    private let db: Database

    init(_ db: Database) {
        self.db = db
    }

    /// Writes `rows` and says what each did, in their order. Rows of one key apply in the order
    /// given. Blocks are written in the table's key order (day, then meter), so neighbouring blocks
    /// land on the same pages; given rows by meter, then start, each block is read and written once,
    /// and each row is read where it lies, in one pass over its block's run.
    func write(_ rows: [Pending]) throws -> [Change] {
        let plan = try Self.plan(db, rows)
        try apply(plan)
        return plan.changes
    }

    /// Works out what writing `rows` does, reading the blocks through `db` and writing nothing: in
    /// a write transaction, or in a read that another transaction applies (see `Plan`).
    static func plan(_ db: Database, _ rows: [Pending], at supersededAt: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Plan {
        var plan = Plan(changes: [Change](repeating: .unchanged, count: rows.count), supersededAt: supersededAt)
        // Days that get their meter's first block, by meter: the meters' day bounds widen to them.
        var newDays: [Int64: (first: Int64, last: Int64)] = [:]
        // Each meter's days with a block, read once: a day outside them has none to load (the live
        // case: a merge's days are mostly new).
        var bounds: [Int64: (first: Int64, last: Int64)?] = [:]
        // The block being worked on: the runs of one key are next to each other.
        var meter = Int64.min, day = Int64.min, block = ReadingBlock(day: 0), dirty = false
        func finish() throws {
            guard dirty, let last = block.records.last else { return }
            plan.blocks.append(Plan.Block(key: try BlockTable.key(meter: meter, day: day), count: Int64(block.records.count),
                                          last: last.start, data: block.encode()))
        }
        for run in runs(rows) {
            if run.meter != meter || run.day != day {
                try finish()
                meter = run.meter
                day = run.day
                dirty = false
                if bounds[meter] == nil { bounds[meter] = .some(try BlockTable.days(db, meter: meter)) }
                let held = bounds[meter].flatMap { $0 }
                if let held, held.first <= day, day <= held.last, let stored = try BlockTable.load(db, meter: meter, day: day) {
                    block = stored
                } else {
                    block = ReadingBlock(day: day)
                    let known = newDays[meter]
                    newDays[meter] = (min(known?.first ?? day, day), max(known?.last ?? day, day))
                    bounds[meter] = .some((min(held?.first ?? day, day), max(held?.last ?? day, day)))
                }
            }
            // The run's room is made once, not grown reading by reading.
            block.records.reserveCapacity(block.records.count + run.rows.count)
            for j in run.rows {
                let p = rows[j]
                try check(p.kwh)
                // Live readings come after everything their block holds: no search for those.
                let appends = block.records.last.map { $0.start < p.start } ?? true
                let k = appends ? block.records.count : block.index(of: p.start)
                let new = ReadingBlock.Record(start: p.start, kwh: p.kwh, quality: p.quality, rule: p.rule, batch: p.batch)
                if k < block.records.count, block.records[k].start == p.start {
                    let old = block.records[k]
                    let change = change(from: old.value, to: new.value)
                    if change == .corrected {
                        plan.replaced.append(Plan.Replaced(meter: meter, old: old, by: p.batch))
                        block.records[k] = new
                        block.records[k].version = old.version &+ 1
                        dirty = true
                    }
                    plan.changes[j] = change
                } else {
                    block.records.insert(new, at: k)
                    dirty = true
                    plan.changes[j] = .inserted
                }
            }
        }
        try finish()
        plan.newDays = newDays.map { (meter: $0.key, first: $0.value.first, last: $0.value.last) }
        return plan
    }

    /// Writes what a plan worked out. Must run inside a write transaction.
    func apply(_ plan: Plan) throws {
        if !plan.replaced.isEmpty {
            let keep = try db.cachedStatement(sql: """
                INSERT INTO reading_versions(meter, start, version, kwh, quality, rule, batch, superseded_at, superseded_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in plan.replaced {
                try keep.run { s in
                    Bind.int(s, 1, r.meter)
                    Bind.int(s, 2, r.old.start)
                    Bind.int(s, 3, Int64(r.old.version))
                    Bind.double(s, 4, r.old.kwh)
                    Bind.int(s, 5, Int64(r.old.quality.rawValue))
                    Bind.text(s, 6, r.old.rule)
                    if let b = r.old.batch { Bind.int(s, 7, b) }
                    Bind.int(s, 8, plan.supersededAt)
                    Bind.int(s, 9, r.by)
                }
            }
        }
        for b in plan.blocks { try BlockTable.put(db, key: b.key, count: b.count, last: b.last, data: b.data) }
        for d in plan.newDays { try BlockTable.extend(db, meter: d.meter, first: d.first, last: d.last) }
    }

    /// Consecutive rows of one meter and day: one block's share of a write.
    struct Run {
        var meter: Int64
        var day: Int64
        var rows: Range<Int>
    }

    /// `rows`' runs in the order they are written: by day, then meter, and the runs of one meter and
    /// day in the order given. Found in one pass over the rows; only the runs (a block's worth of
    /// rows each, in a merge) are sorted.
    static func runs(_ rows: [Pending]) -> [Run] {
        var runs: [Run] = []
        var i = 0
        while i < rows.count {
            let meter = rows[i].meter, day = ReadingBlock.day(of: rows[i].start)
            var end = i + 1
            while end < rows.count, rows[end].meter == meter, ReadingBlock.day(of: rows[end].start) == day { end += 1 }
            runs.append(Run(meter: meter, day: day, rows: i..<end))
            i = end
        }
        func before(_ a: Run, _ b: Run) -> Bool {
            a.day != b.day ? a.day < b.day : a.meter != b.meter ? a.meter < b.meter : a.rows.lowerBound < b.rows.lowerBound
        }
        // A merge's runs come by meter, then day: sorted unless they are in order already.
        if zip(runs, runs.dropFirst()).contains(where: { !before($0, $1) }) { runs.sort(by: before) }
        return runs
    }
}

/// A stored reading's value and quality: what decides an upsert's outcome.
struct StoredValue: Sendable, Equatable {
    var kwh: Double
    var quality: Quality
}
