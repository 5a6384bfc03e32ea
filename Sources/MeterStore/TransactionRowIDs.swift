import GRDB
import Synchronization

/// Meter row ids by name, of meters known to be committed; shared by every write.
final class RowIDCache: Sendable {
    private let map = Mutex<[String: Int64]>([:])
    subscript(name: String) -> Int64? { map.withLock { $0[name] } }
    func merge(_ ids: [String: Int64]) {
        guard !ids.isEmpty else { return }
        map.withLock { $0.merge(ids) { _, new in new } }
    }
}

/// What one write transaction learns about meters (row ids, latest starts) and adds to the inbox;
/// it joins the shared caches only once the transaction commits.
struct TransactionRowIDs {
    let cache: RowIDCache
    let starts: LatestStarts
    let inbox: InboxState
    /// Inbox rows committed before this transaction began (zero once it merged them).
    var inboxRows: Int
    var found: [String: Int64] = [:]
    var startsFound: [Int64: Int64] = [:]
    /// Inbox rows this transaction appended since its last merge, and their latest values.
    var appended = 0
    var inboxFound: [InboxKey: StoredValue] = [:]
    /// Whether this transaction merged the inbox.
    var merged = false

    init(cache: RowIDCache, starts: LatestStarts, inbox: InboxState) {
        self.cache = cache
        self.starts = starts
        self.inbox = inbox
        inboxRows = inbox.pending
    }

    /// Merges the inbox inside this transaction.
    mutating func mergeInbox(_ db: Database) throws {
        try ReadingInbox.merge(db)
        merged = true
        inboxRows = 0
        appended = 0
        inboxFound = [:]
    }

    /// The value a reading will meet: the inbox's latest for its key, else the one in `readings`.
    func stored(_ db: Database, _ key: InboxKey) throws -> StoredValue? {
        if let v = inboxFound[key] { return v }
        if !merged, let v = inbox[key] { return v }
        return try ReadingInbox.stored(db, key)
    }

    subscript(name: String) -> Int64? { found[name] ?? cache[name] }

    /// A reading written straight to `readings`: a known latest start moves on (an unknown one is
    /// read from the store when it is next needed).
    mutating func wrote(meter: Int64, start: Int64) {
        if let known = startsFound[meter] ?? starts[meter], start > known { startsFound[meter] = start }
    }

    /// A meter's latest start, from this transaction, the shared cache or the store.
    mutating func latestStart(_ db: Database, meter: Int64) throws -> Int64 {
        if let s = startsFound[meter] ?? starts[meter] { return s }
        let s = try ReadingInbox.latestStart(db, meter: meter)
        startsFound[meter] = s
        return s
    }
}
