import GRDB
import MeterCore
import Synchronization

/// Meter row ids by meter, of meters known to be committed; shared by every write. A committed
/// meter's row id never changes, so the ids of a recent batch's meters, all known, are remembered
/// for its list of meters (`MeterListMemo`).
final class RowIDCache: Sendable {
    private struct State {
        var map: [MeterID: Int64] = [:]
        var recent = MeterListMemo<[Int64?]>()
    }
    private let state = Mutex(State())

    subscript(meter: MeterID) -> Int64? { state.withLock { $0.map[meter] } }

    /// The row ids of a batch's meters, in its order, under one lock.
    func rowIDs(of meters: [MeterID]) -> [Int64?] {
        state.withLock { s in
            if let known = s.recent.value(for: meters) { return known }
            let ids = meters.map { s.map[$0] }
            if !ids.contains(nil) { s.recent.remember(ids, for: meters) }
            return ids
        }
    }

    func merge(_ ids: [MeterID: Int64]) {
        guard !ids.isEmpty else { return }
        state.withLock { s in
            // Never expected (a committed meter keeps its row), but a list remembered must not outlive its ids.
            if ids.contains(where: { id in s.map[id.key].map { $0 != id.value } ?? false }) { s.recent.removeAll() }
            s.map.merge(ids) { _, new in new }
        }
    }
}

/// What one write transaction learns about meters and does to the inbox. Row ids join the shared
/// cache only once the transaction commits; the inbox's per-meter state (`InboxState`) is changed
/// in place, and marked stale if the transaction rolls back.
struct WriteContext {
    let cache: RowIDCache
    let inbox: InboxState
    var found: [MeterID: Int64] = [:]
    /// The log row through which this transaction merged the whole log, if it did.
    var mergedThrough: Int64?
    /// The last log row this transaction wrote.
    var lastLogged: Int64?
    /// Readings this transaction logged since it merged the log (or since it began).
    var loggedSinceMerge = 0

    init(cache: RowIDCache, inbox: InboxState) {
        self.cache = cache
        self.inbox = inbox
    }

    /// Merges the whole log inside this transaction.
    mutating func mergeInbox(_ db: Database) throws {
        mergedThrough = try ReadingLog.mergeAll(db)
        loggedSinceMerge = 0
    }

    /// Whether readings may wait in the log (a write straight into the blocks must go after them).
    var logMayHoldRows: Bool { loggedSinceMerge > 0 || (mergedThrough == nil && inbox.pending > 0) }

    /// The value a reading will meet: the latest logged and not merged for its key, else the one in its block.
    func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        switch inbox.lookup(meter, start) {
        case .logged(let v): return v
        case .nothing: return nil
        case .block: return try BlockTable.stored(db, meter: meter, start: start)
        }
    }

    subscript(meter: MeterID) -> Int64? { (found.isEmpty ? nil : found[meter]) ?? cache[meter] }

    /// A meter's latest start, known or read from the store.
    func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        if let s = inbox.latest(meter) { return s }
        let s = try BlockTable.latestStart(db, meter: meter)
        inbox.readFromBlocks(meter, latest: s)
        return s
    }
}
