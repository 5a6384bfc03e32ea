import GRDB
import MeterCore
import Synchronization

/// Meter row ids by name, of meters known to be committed; shared by every write.
final class RowIDCache: Sendable {
    private let map = Mutex<[String: Int64]>([:])
    subscript(name: String) -> Int64? { map.withLock { $0[name] } }
    /// The row ids of a batch's meters, in its order, under one lock.
    func rowIDs(of meters: [MeterID]) -> [Int64?] { map.withLock { m in meters.map { m[$0.rawValue] } } }
    func merge(_ ids: [String: Int64]) {
        guard !ids.isEmpty else { return }
        map.withLock { $0.merge(ids) { _, new in new } }
    }
}

/// What one write transaction learns about meters and does to the inbox. Row ids join the shared
/// cache only once the transaction commits; the inbox's per-meter state (`InboxState`) is changed
/// in place, and marked stale if the transaction rolls back.
struct WriteContext {
    let cache: RowIDCache
    let inbox: InboxState
    /// Whether the inbox held rows when this transaction began (false once it merged them).
    var inboxHadRows: Bool
    var found: [String: Int64] = [:]
    /// Inbox rows this transaction appended since its last merge.
    var appended = 0
    /// Whether this transaction merged the whole inbox.
    var merged = false

    init(cache: RowIDCache, inbox: InboxState) {
        self.cache = cache
        self.inbox = inbox
        inboxHadRows = inbox.pending > 0
    }

    /// Merges the inbox inside this transaction.
    mutating func mergeInbox(_ db: Database) throws {
        try ReadingInbox.merge(db)
        inbox.clearValues()
        merged = true
        inboxHadRows = false
        appended = 0
    }

    /// The value a reading will meet: the inbox's latest for its key, else the one in `readings`.
    func stored(_ db: Database, meter: Int64, start: Int64) throws -> StoredValue? {
        if let v = inbox.value(meter, start) { return v }
        return try ReadingInbox.stored(db, meter: meter, start: start)
    }

    subscript(name: String) -> Int64? { (found.isEmpty ? nil : found[name]) ?? cache[name] }

    /// A meter's latest start, known or read from the store.
    func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        if let s = inbox.latest(meter) { return s }
        let s = try ReadingInbox.latestStart(db, meter: meter)
        inbox.setLatest(meter, s)
        return s
    }
}
