import Synchronization

/// What the writing process knows of the inbox: each meter's latest start, and the readings it has
/// logged and not yet seen merged (so a late reading is judged against the value it will meet, and
/// reads lay them over the blocks without reading the log); how many wait; whether a merge is under way.
/// It also bounds what each meter's blocks hold, so a late reading newer than all of them (one of a
/// gateway's requests overtaken by the next) is known new without reading its block.
///
/// Only the writer (inside a write transaction, or its commit and rollback hooks) changes it. A
/// transaction that rolls back marks it stale, and the next write merges the whole log before
/// trusting it again. `through`: every log row up to it that this process has not seen merged is
/// held here (nil: unknown, so reads take what waits from the log itself).
///
/// Logged readings are kept in the order logged (`Entries`), each linked to its meter's previous
/// one, so a commit appends its batch in one sequential run instead of touching a list per meter;
/// per meter (an array by row id, not hashed keys) only its latest start, its newest entry and its
/// blocks' bound. A part's merge mark makes its entries up to the mark dead at once; they are
/// dropped a chunk at a time once every part's mark has passed them, never copied.
final class InboxState: Sendable {
    typealias Entry = ReadingLog.Entry
    struct MeterState {
        var latest: Int64?
        /// Index in `pool` of the meter's newest entry (-1: none).
        var newest = -1
        /// No reading in the meter's blocks starts later (nil: unknown). Set from the blocks, and
        /// raised to `latest` whenever readings reach them (a merge, a file's batch).
        var blocks: Int64?
    }
    /// Where the value a reading will meet is.
    enum Lookup: Equatable {
        /// Logged and not merged: the latest such value.
        case logged(StoredValue)
        /// Nowhere: not logged, and later than anything its meter's blocks hold.
        case nothing
        /// Not logged: its block has it, if anything does.
        case block
    }
    /// A reader's copy: the entries of some meters, and how far the log is held.
    struct Held: Sendable {
        var through: Int64?
        var entries: [Int64: [Entry]] = [:]
    }
    struct Linked {
        var entry: Entry
        /// Index of the same meter's previous entry (-1: none).
        var previous: Int
        /// The latest start of this entry and the meter's older ones still kept: a search for an
        /// earlier start stops here, so a reading filling a slot nothing was logged for does not
        /// walk every entry its meter has waiting.
        var reach: Int64
    }
    /// Entries in the order logged, by index, in chunks of a fixed size: appended at the end, and
    /// dropped from the front a whole chunk at a time once every entry in it is merged. Indexes
    /// never change, so the meters' links stay valid, and what is kept is never copied: a
    /// million entries or more under steady ingest, which the writer would otherwise wait for.
    struct Entries {
        let shift: Int
        var size: Int { 1 << shift }
        private var chunks: [[Linked]] = []
        /// Index of the first entry kept (a multiple of the size): older ones are gone.
        private(set) var first = 0
        /// Index the next entry gets.
        private(set) var end = 0

        init(chunk: Int) {
            var shift = 0
            while 1 << shift < max(1, chunk) { shift += 1 }
            self.shift = shift
        }

        /// Whether the entry at `i` is still kept.
        func holds(_ i: Int) -> Bool { i >= first && i < end }

        subscript(i: Int) -> Linked { chunks[(i >> shift) - (first >> shift)][i & (size - 1)] }

        mutating func append(_ l: Linked) {
            if end & (size - 1) == 0 {
                var chunk: [Linked] = []
                chunk.reserveCapacity(size)
                chunks.append(chunk)
            }
            chunks[chunks.count - 1].append(l)
            end += 1
        }

        /// Drops the leading chunks whose entries are all logged at or before `seq`.
        mutating func drop(through seq: Int64) {
            var n = 0
            while n < chunks.count, chunks[n].count == size, let last = chunks[n].last, last.entry.seq <= seq { n += 1 }
            guard n > 0 else { return }
            chunks.removeFirst(n)
            first += n * size
        }
    }
    private struct State {
        var pending = 0
        var meters: [MeterState] = []
        /// Meters whose row id is too large for the array.
        var others: [Int64: MeterState] = [:]
        var pool: Entries
        /// Per part of the meters: entries up to this log row are merged.
        var marks = [Int64](repeating: 0, count: ReadingLog.parts)
        /// Per part, its entries still counted in `pending`: (log row, count) in log order.
        var counted = [[(seq: Int64, count: Int)]](repeating: [], count: ReadingLog.parts)
        var through: Int64?
        /// Log rows up to this one are known to be committed (later entries may still roll back).
        var committed: Int64 = 0
        var stale = false
        var merging = false

        init(chunk: Int) { pool = Entries(chunk: chunk) }

        func meter(_ m: Int64) -> MeterState? {
            if m >= 0, m < InboxState.arrayLimit { return Int(m) < meters.count ? meters[Int(m)] : nil }
            return others[m]
        }

        mutating func update<T>(_ m: Int64, _ body: (inout MeterState) -> T) -> T {
            if m >= 0, m < InboxState.arrayLimit {
                let i = Int(m)
                if i >= meters.count { meters.append(contentsOf: repeatElement(MeterState(), count: i + 1 - meters.count)) }
                return body(&meters[i])
            }
            return body(&others[m, default: MeterState()])
        }

        /// A meter's entries not yet merged, newest first.
        func chain(_ m: Int64, _ body: (Linked) -> Bool) {
            guard var i = meter(m)?.newest else { return }
            let mark = marks[ReadingLog.part(of: m)]
            // A dropped entry was merged, as were all before it.
            while pool.holds(i) {
                let l = pool[i]
                guard l.entry.seq > mark, body(l) else { return }
                i = l.previous
            }
        }

        func reach(_ start: Int64, after previous: Int) -> Int64 {
            pool.holds(previous) ? max(start, pool[previous].reach) : start
        }

        /// The newest entry not yet merged of a meter's reading, if any.
        func newest(_ m: Int64, at start: Int64) -> Entry? {
            var found: Entry?
            chain(m) { l in
                guard l.reach >= start else { return false }
                if l.entry.row.start == start { found = l.entry }
                return found == nil
            }
            return found
        }

        func lookup(_ m: Int64, at start: Int64) -> Lookup {
            if let e = newest(m, at: start) { return .logged(StoredValue(kwh: e.row.kwh, quality: e.row.quality)) }
            if let b = meter(m)?.blocks, start > b { return .nothing }
            return .block
        }

        /// Readings of the meters of a part reached their blocks: none of those is later than its meter's latest.
        mutating func blocksCaughtUp(part: Int) {
            let run = ReadingLog.run, stride = run * ReadingLog.parts
            var first = part * run
            while first < meters.count {
                for i in first..<min(first + run, meters.count) { meters[i].blocks = meters[i].latest }
                first += stride
            }
            for (k, m) in others where ReadingLog.part(of: k) == part { others[k]?.blocks = m.latest }
        }

        /// A meter's entries not yet merged, in the order logged.
        func entries(_ m: Int64) -> [Entry] {
            var out: [Entry] = []
            chain(m) { out.append($0.entry); return true }
            return out.reversed()
        }
    }
    private let state: Mutex<State>

    /// Entries set aside at a time.
    let chunk: Int

    static let defaultChunk = 1 << 16

    /// `chunk`: entries set aside at a time (rounded up to a power of two).
    init(chunk: Int = defaultChunk) {
        let s = State(chunk: chunk)
        self.chunk = s.pool.size
        state = Mutex(s)
    }
    /// Row ids below this live in the array; larger ones in `others`.
    fileprivate static let arrayLimit: Int64 = 1 << 20

    var pending: Int { state.withLock { $0.pending } }
    /// Entries kept, live or dead (dead ones go a chunk at a time, once every part has passed them).
    var kept: Int { state.withLock { $0.pool.end - $0.pool.first } }
    /// Entries kept that a merge has passed: only a merge of every part frees them.
    var dead: Int { state.withLock { $0.pool.end - $0.pool.first - $0.pending } }
    var isStale: Bool { state.withLock { $0.stale } }
    var through: Int64? { state.withLock { $0.through } }

    func latest(_ meter: Int64) -> Int64? { state.withLock { $0.meter(meter)?.latest } }

    /// A meter's latest start as read from its blocks (the inbox knew none): the latest moves on to it
    /// (never back), and the blocks hold nothing later.
    func readFromBlocks(_ meter: Int64, latest start: Int64) {
        state.withLock { $0.update(meter) { m in
            m.latest = max(m.latest ?? start, start)
            m.blocks = start
        } }
    }

    /// Where the value a reading will meet is: logged, in its block, or nowhere.
    func lookup(_ meter: Int64, _ start: Int64) -> Lookup {
        state.withLock { $0.lookup(meter, at: start) }
    }

    /// A batch went straight into the named meters' blocks (after `apply` moved their latest on).
    func wroteBlocks(of meters: some Sequence<Int64>) {
        state.withLock { s in
            for m in meters { s.update(m) { $0.blocks = $0.latest } }
        }
    }

    /// A batch's logged readings (log row `seq`, none when nil) and its meters' new latest starts, in one step.
    func apply(seq: Int64?, batch: Int64, rows: [ReadingLog.Row], latest: [(meter: Int64, start: Int64)]) {
        guard !rows.isEmpty || !latest.isEmpty else { return }
        state.withLock { s in
            if let seq {
                var perPart = [Int](repeating: 0, count: ReadingLog.parts)
                for (i, r) in rows.enumerated() {
                    let index = s.pool.end
                    let previous = s.update(r.meter) { m in
                        defer { m.newest = index }
                        return m.newest
                    }
                    s.pool.append(Linked(entry: Entry(seq: seq, index: i, batch: batch, row: r), previous: previous,
                                         reach: s.reach(r.start, after: previous)))
                    perPart[ReadingLog.part(of: r.meter)] += 1
                }
                for p in perPart.indices where perPart[p] > 0 { s.counted[p].append((seq, perPart[p])) }
                s.pending += rows.count
                // Held without a gap only if everything before was.
                if let t = s.through, t < seq { s.through = seq }
            }
            for l in latest { s.update(l.meter) { m in m.latest = max(m.latest ?? l.start, l.start) } }
        }
    }

    /// A transaction that logged rows up to `seq` committed.
    func committed(through seq: Int64) {
        state.withLock { $0.committed = max($0.committed, seq) }
    }

    /// Parts of the log were merged through `mark` and committed: their entries up to it are in the blocks.
    func merged(parts: some Sequence<Int>, through mark: Int64) {
        state.withLock { s in
            for part in parts where mark > s.marks[part] {
                s.marks[part] = mark
                s.blocksCaughtUp(part: part)
                let done = s.counted[part].prefix { $0.seq <= mark }
                s.pending = max(0, s.pending - done.reduce(0) { $0 + $1.count })
                s.counted[part].removeFirst(done.count)
            }
            s.pool.drop(through: s.marks.min() ?? 0)
        }
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
            var fresh = State(chunk: s.pool.size)
            fresh.marks = s.marks
            fresh.committed = s.committed
            fresh.merging = s.merging
            fresh.stale = true
            s = fresh
        }
    }

    /// A copy of what the named meters (row ids) have waiting, for a read about to begin.
    func held(meters: some Sequence<Int64>) -> Held {
        state.withLock { s in
            var out = Held(through: s.through)
            for m in meters {
                let e = s.entries(m)
                if !e.isEmpty { out.entries[m] = e }
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
            func take(_ m: Int64) {
                let entries = s.entries(m)
                guard !entries.isEmpty else { return }
                let top = entries.lazy.filter { $0.seq <= committed }.map(\.row.start).max() ?? .min
                out.entries[m] = entries.filter { $0.row.start >= top || $0.seq > committed }
            }
            for (i, m) in s.meters.enumerated() where m.newest >= 0 { take(Int64(i)) }
            for (k, m) in s.others where m.newest >= 0 { take(k) }
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
