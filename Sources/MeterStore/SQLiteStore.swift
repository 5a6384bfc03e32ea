import Foundation
import GRDB
import Synchronization
import MeterCore

/// The embedded store: one SQLite file in WAL mode, through GRDB.
///
/// Readings are stored in blocks, one row of `day_blocks` per meter and UTC day, keyed by day then
/// meter (`ReadingBlock`, `BlockTable`), so a merge writes each day's blocks of neighbouring meters
/// side by side, a meter's time range is one key lookup a day, and writing many readings of a meter
/// rewrites a few blocks, not a row each. A correction keeps the old value
/// in `reading_versions` (`BlockWriter`).
/// Live readings that extend their meter's series reach the blocks through the inbox (`ReadingInbox`).
public final class SQLiteStore: ReadingStore {
    public let path: String
    let pool: DatabasePool
    /// Meter name to row id, for meters known to be committed (live ingest looks up the same meters
    /// in every batch).
    let rowIDs = RowIDCache()
    /// Each meter's latest start and inbox values, and the inbox rows not merged yet (past
    /// `inboxLimit` a merge is scheduled).
    let inbox: InboxState
    /// Inbox rows that make a merge worth its commit (more rows per meter, fewer pages per row).
    public let inboxLimit: Int

    /// Live readings this process logged and has not yet seen merged into their blocks.
    public var waitingReadings: Int { inbox.pending }

    /// What a commit survives before it is acknowledged.
    public enum Durability: String, Sendable, CaseIterable {
        /// The log is synced to disk at every commit: a reading acknowledged survives a power cut.
        case full
        /// The log is written but synced only at checkpoints: an acknowledged reading survives a
        /// crash of the process, not of the machine (5 to 15% more live ingest, docs/performance.md).
        case normal
    }

    public let durability: Durability

    /// Readings waiting in the log that start a background merge, unless a store is told otherwise.
    public static let defaultInboxLimit = 1_000_000

    public convenience init(path: String, inboxLimit: Int = defaultInboxLimit, durability: Durability = .full) throws {
        try self.init(path: path, inboxLimit: inboxLimit, durability: durability, inboxChunk: InboxState.defaultChunk)
    }

    /// `inboxChunk`: the inbox's entries set aside at a time (`InboxState.chunk`).
    init(path: String, inboxLimit: Int, durability: Durability, inboxChunk: Int) throws {
        self.path = path
        self.inboxLimit = inboxLimit
        inbox = InboxState(chunk: inboxChunk)
        self.durability = durability
        var config = Configuration()
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // A larger page cache and memory-mapped reads keep live upserts off the read path;
            // checkpoints every 8 MB of log: each holds the writer for a few milliseconds only.
            try db.execute(sql: "PRAGMA cache_size = -131072")
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 2048")
            // The merges' sorts stay in memory, not in temporary files.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // A dropped log row's pages are zeroed only where that costs no extra write (Debian's
            // SQLite zeroes them all by default): its readings live on in their blocks anyway.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
        }
        pool = try DatabasePool(path: path, configuration: config)
        // The pool puts its writer in WAL mode after `prepareDatabase`, with `synchronous = NORMAL`;
        // the writer is the connection whose commits count.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = \(synchronous)") }
    }

    public func migrate() async throws {
        try Self.migrator.migrate(pool)
        // What an earlier process acknowledged and did not merge.
        try await pool.write { [inbox] db in
            let mark = try ReadingLog.mergeAll(db)
            db.afterNextTransaction { _ in inbox.mergedAll(through: mark, last: nil) }
        }
    }

    /// Moves the whole log into the blocks now, one part of the meters per transaction.
    public func mergeInbox() async throws {
        try await mergeParts(Array(0..<ReadingLog.parts))
    }

    /// Moves the logged readings of some parts of the meters into their blocks, each part in its own
    /// transaction, so a writer waiting meanwhile waits for one part, not the whole log; then drops
    /// the log rows every part has passed.
    private func mergeParts(_ parts: [Int]) async throws {
        let (cut, records) = try await pool.read { db in
            let last = try ReadingLog.lastSeq(db), marks = try ReadingLog.marks(db)
            let low = parts.map { marks[$0] }.min() ?? last
            return (last, low < last ? try ReadingLog.records(db, after: low, through: last) : [])
        }
        guard !records.isEmpty else { return }
        let byPart = ReadingLog.pending(records, through: cut)
        for part in parts {
            let ordered = ReadingLog.inMergeOrder(byPart[part], of: records)
            // Worked out outside the writer, which then only writes the part's blocks, unless
            // something moved them meanwhile.
            let prepared = ordered.isEmpty ? nil : try await pool.read { db in try ReadingLog.prepare(db, records, ordered, part: part) }
            try await unsyncedWrite { [inbox] db in
                try ReadingLog.merge(db, records, ordered, parts: [part], through: cut, prepared: prepared)
                db.afterNextTransaction { _ in inbox.merged(parts: [part], through: cut) }
            }
        }
        while try await unsyncedWrite({ db in try ReadingLog.dropMerged(db, limit: 64) }) {}
    }

    /// Reads of readings that do not lay the inbox over the blocks themselves go through here: what
    /// was acknowledged before them is merged first, only the parts of `meters` when the read is
    /// about those meters alone.
    private func readMerged<T: Sendable>(meters: [MeterID]? = nil, _ body: @Sendable (Database) throws -> T) async throws -> T {
        var waiting = inbox.pending > 0
        // Another process's writes: this store's count knows nothing of them.
        if !waiting { waiting = try await pool.read { try ReadingLog.hasRows($0) } }
        guard waiting else { return try await pool.read(body) }
        if let meters, meters.count <= 500 {
            guard !meters.isEmpty else { return try await pool.read(body) }
            let ids = try await meterRowIDs(meters)
            try await mergeParts(Set(ids.values.map(ReadingLog.part(of:))).sorted())
        } else {
            try await mergeInbox()
        }
        return try await pool.read(body)
    }

    /// Row ids of the named meters that exist (from the cache, else the store).
    private func meterRowIDs(_ meters: [MeterID]) async throws -> [MeterID: Int64] {
        var out: [MeterID: Int64] = [:]
        var missing: [MeterID] = []
        for (m, id) in zip(meters, rowIDs.rowIDs(of: meters)) {
            if let id { out[m] = id } else { missing.append(m) }
        }
        guard !missing.isEmpty else { return out }
        let names = missing
        let found = try await pool.read { db in
            var found: [String: Int64] = [:]
            let stmt = try db.cachedStatement(sql: "SELECT id FROM meters WHERE name = ?")
            for m in names { if let id = try Int64.fetchOne(stmt, arguments: [m.rawValue]) { found[m.rawValue] = id } }
            return found
        }
        for m in missing { if let id = found[m.rawValue] { out[m] = id } }
        return out
    }

    /// Schedules one merge in the background once the inbox has grown past its limit, or once the
    /// entries it keeps after reads merged some parts have (those only a merge of every part frees;
    /// enough of them that the merge frees whole chunks).
    private func mergeIfFull() {
        guard inbox.pending >= inboxLimit || inbox.dead >= max(inboxLimit, 2 * inbox.chunk), inbox.claimMerge() else { return }
        let task = Task { [self] in
            defer { inbox.mergeDone() }
            // On failure the rows stay in the inbox; the next merge or read takes them.
            try? await mergeInbox()
        }
        backgroundMerge.withLock { $0 = task }
    }

    /// A transaction whose commit does not wait for the disk: for work that can be done again from
    /// what is durable already (a merge moves logged readings, and advances its mark with them). The
    /// next synced commit makes it durable with its own; a power cut before that loses the
    /// transaction whole, never half of it (SQLite's log checks every frame).
    private func unsyncedWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard durability == .full else { return try await pool.write(body) }
        return try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let result = Result {
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                return result
            }
            // Back to synced commits before anything else: a failure here fails the store's writes.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            guard let value = try result.get() else { throw DatabaseError(resultCode: .SQLITE_INTERNAL) }
            return value
        }
    }

    /// The background merge last scheduled.
    private let backgroundMerge = Mutex<Task<Void, Never>?>(nil)

    /// Returns once the background merge last scheduled, if any, has finished.
    public func backgroundMergeFinished() async {
        await backgroundMerge.withLock { $0 }?.value
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meters (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    source TEXT NOT NULL,
                    kind TEXT NOT NULL DEFAULT 'interval',
                    minutes INTEGER NOT NULL DEFAULT 30,
                    created_at INTEGER NOT NULL DEFAULT (strftime('%s','now'))
                );
                CREATE INDEX meters_source ON meters(source);
                CREATE TABLE batches (
                    id INTEGER PRIMARY KEY,
                    origin TEXT NOT NULL,
                    source TEXT NOT NULL,
                    created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')),
                    rows INTEGER NOT NULL DEFAULT 0,
                    quarantined INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE readings (
                    meter INTEGER NOT NULL REFERENCES meters(id),
                    start INTEGER NOT NULL,
                    kwh REAL NOT NULL,
                    quality INTEGER NOT NULL DEFAULT 0,
                    rule TEXT,
                    batch INTEGER,
                    version INTEGER NOT NULL DEFAULT 1,
                    PRIMARY KEY (meter, start)
                ) WITHOUT ROWID;
                CREATE INDEX readings_start ON readings(start);
                CREATE TABLE reading_versions (
                    meter INTEGER NOT NULL,
                    start INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    kwh REAL NOT NULL,
                    quality INTEGER NOT NULL,
                    rule TEXT,
                    batch INTEGER,
                    superseded_at INTEGER NOT NULL,
                    superseded_by INTEGER,
                    PRIMARY KEY (meter, start, version)
                ) WITHOUT ROWID;
                CREATE TRIGGER readings_keep_version AFTER UPDATE OF kwh, quality ON readings
                BEGIN
                    INSERT INTO reading_versions(meter, start, version, kwh, quality, rule, batch, superseded_at, superseded_by)
                    VALUES (OLD.meter, OLD.start, OLD.version, OLD.kwh, OLD.quality, OLD.rule, OLD.batch,
                            strftime('%s','now'), NEW.batch);
                END;
                CREATE TABLE quarantine (
                    id INTEGER PRIMARY KEY,
                    batch INTEGER,
                    origin TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    field TEXT,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    raw TEXT NOT NULL,
                    meter TEXT,
                    start INTEGER,
                    created_at INTEGER NOT NULL DEFAULT (strftime('%s','now'))
                );
                CREATE INDEX quarantine_reason ON quarantine(reason);
                """)
        }
        m.registerMigration("v2-anomalies") { db in
            try db.execute(sql: """
                CREATE TABLE anomalies (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    meter TEXT,
                    source TEXT,
                    start INTEGER NOT NULL,
                    "end" INTEGER NOT NULL,
                    detected_at INTEGER NOT NULL,
                    severity TEXT NOT NULL,
                    score REAL NOT NULL,
                    expected REAL NOT NULL,
                    observed REAL NOT NULL,
                    detail TEXT NOT NULL,
                    open INTEGER NOT NULL
                );
                CREATE INDEX anomalies_start ON anomalies(start);
                CREATE INDEX anomalies_meter ON anomalies(meter, start);
                """)
        }
        registerCredentialMigration(&m)
        m.registerMigration("v4-inbox") { db in
            try db.execute(sql: ReadingInbox.legacySchema)
            // Fleet-wide time ranges are served per meter through the primary key; an index on
            // `start` alone cost a second B-tree insert per reading.
            try db.execute(sql: "DROP INDEX readings_start")
        }
        m.registerMigration("v5-register-reads") { db in
            try db.execute(sql: "CREATE TABLE register_reads (meter INTEGER PRIMARY KEY REFERENCES meters(id), start INTEGER NOT NULL, value REAL NOT NULL)")
        }
        m.registerMigration("v6-detector-state") { db in
            try db.execute(sql: """
                CREATE TABLE detector_state (
                    meter INTEGER NOT NULL REFERENCES meters(id),
                    name TEXT NOT NULL,
                    state BLOB NOT NULL,
                    PRIMARY KEY (meter, name)
                ) WITHOUT ROWID
                """)
        }
        m.registerMigration("v7-readings-log") { db in
            try ReadingInbox.retireLegacyTables(db)
            try db.execute(sql: ReadingLog.schema)
        }
        m.registerMigration("v8-reading-blocks") { db in
            // A merge or an import writes a block per meter and day instead of a row per reading.
            try BlockTable.convertRowTable(db)
        }
        m.registerMigration("v9-blocks-by-day") { db in
            // Blocks keyed by day then meter, so a merge writes neighbouring pages (see `BlockTable`).
            try BlockTable.rekeyMeterMajor(db)
        }
        return m
    }

    public func detectorState(named name: String) async throws -> [MeterID: [UInt8]] {
        try await pool.read { db in
            var out: [MeterID: [UInt8]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT m.name, d.state FROM detector_state d JOIN meters m ON m.id = d.meter WHERE d.name = ?",
                                           arguments: [name])
            while let row = try rows.next() {
                if let id = MeterID(row[0] as String), let data = row[1] as Data? { out[id] = [UInt8](data) }
            }
            return out
        }
    }

    public func write(detectorState states: [MeterID: [UInt8]], named name: String) async throws {
        guard !states.isEmpty else { return }
        try await pool.write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO detector_state(meter, name, state) SELECT id, ?, ? FROM meters WHERE name = ?
                ON CONFLICT(meter, name) DO UPDATE SET state = excluded.state
                """)
            for (meter, bytes) in states { try stmt.execute(arguments: [name, Data(bytes), meter.rawValue]) }
        }
    }

    public func registerReads() async throws -> [RegisterRead] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT m.name, r.start, r.value FROM register_reads r JOIN meters m ON m.id = r.meter").compactMap { row in
                MeterID(row[0] as String).map { RegisterRead(meter: $0, start: row[1], value: row[2]) }
            }
        }
    }

    /// Reports in the order of their ids (which the table's unique index follows, and within a kind
    /// the meters' index), so a write runs along the indexes instead of touching a page per report;
    /// the reports of one event keep their order. At most `anomaliesPerCommit` a transaction, so a
    /// large write holds the writer for a few milliseconds at a time, and live commits go between.
    public func write(anomalies: [Anomaly]) async throws {
        guard !anomalies.isEmpty else { return }
        let ids = anomalies.map(\.id)
        let order = anomalies.indices.sorted { ids[$0] != ids[$1] ? ids[$0] < ids[$1] : $0 < $1 }
        for low in stride(from: 0, to: order.count, by: Self.anomaliesPerCommit) {
            let chunk = order[low..<min(low + Self.anomaliesPerCommit, order.count)].map { anomalies[$0] }
            try await writeAnomalies(chunk)
        }
    }

    static let anomaliesPerCommit = 200

    private func writeAnomalies(_ anomalies: [Anomaly]) async throws {
        try await pool.write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO anomalies(id, kind, meter, source, start, "end", detected_at, severity, score, expected, observed, detail, open)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET "end" = excluded."end", severity = excluded.severity, score = excluded.score,
                    observed = excluded.observed, detail = excluded.detail, open = excluded.open
                """)
            for a in anomalies {
                try stmt.execute(arguments: [a.id, a.kind.rawValue, a.meter?.rawValue, a.source?.rawValue, a.start, a.end, a.detectedAt,
                                             a.severity.rawValue, a.score.isFinite ? a.score : 0, a.expected.isFinite ? a.expected : 0,
                                             a.observed.isFinite ? a.observed : 0, a.detail, a.open])
            }
        }
    }

    /// The WHERE clause of an anomaly filter and its arguments.
    private static func condition(_ filter: AnomalyFilter) -> (sql: String, args: [any DatabaseValueConvertible & Sendable]) {
        var sql = "WHERE 1"
        var args: [any DatabaseValueConvertible & Sendable] = []
        if let k = filter.kinds, !k.isEmpty {
            sql += " AND kind IN (" + k.map { _ in "?" }.joined(separator: ",") + ")"
            args += k.map(\.rawValue).sorted()
        }
        if let m = filter.meter { sql += " AND meter = ?"; args.append(m.rawValue) }
        if let s = filter.source { sql += " AND (source = ? OR meter IN (SELECT name FROM meters WHERE source = ?))"; args += [s.rawValue, s.rawValue] }
        if let f = filter.from { sql += " AND \"end\" > ?"; args.append(f) }
        if let t = filter.to { sql += " AND start < ?"; args.append(t) }
        if filter.openOnly { sql += " AND open = 1" }
        return (sql, args)
    }

    public func anomalyCounts(_ filter: AnomalyFilter) async throws -> (all: Int, open: Int) {
        let (condition, args) = Self.condition(filter)
        return try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(open), 0) FROM anomalies \(condition)", arguments: StatementArguments(args))
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    public func anomalies(_ filter: AnomalyFilter, limit: Int) async throws -> [Anomaly] {
        let (condition, conditionArgs) = Self.condition(filter)
        return try await pool.read { db in
            let sql = "SELECT kind, meter, source, start, \"end\", detected_at, severity, score, expected, observed, detail, open FROM anomalies "
                + condition + " ORDER BY start DESC LIMIT ?"
            let args = conditionArgs + [limit]
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap { r -> Anomaly? in
                guard let kind = AnomalyKind(rawValue: r[0]), let severity = Severity(rawValue: r[6]) else { return nil }
                return Anomaly(kind: kind, meter: (r[1] as String?).flatMap { MeterID($0) }, source: (r[2] as String?).flatMap { SourceID($0) },
                               start: r[3], end: r[4], detectedAt: r[5], severity: severity, score: r[7], expected: r[8], observed: r[9],
                               detail: r[10], open: r[11])
            }
        }
    }

    public func register(_ meters: [Meter]) async throws {
        try await pool.write { db in
            for m in meters { try Self.upsertMeter(db, m) }
        }
    }

    @discardableResult
    static func upsertMeter(_ db: Database, _ m: Meter) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO meters(name, source, kind, minutes) VALUES (?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET source = excluded.source, kind = excluded.kind, minutes = excluded.minutes
            """, arguments: [m.id.rawValue, m.source.rawValue, m.kind.rawValue, m.interval.minutes])
        return try Int64.fetchOne(db, sql: "SELECT id FROM meters WHERE name = ?", arguments: [m.id.rawValue]) ?? 0
    }

    /// Looks up a meter's row id, creating the meter with the batch's defaults when it is new.
    /// - Parameter cached: the id the shared cache had for the meter, when the caller looked it up.
    static func meterRowID(_ db: Database, _ id: MeterID, info: BatchInfo, ids: inout WriteContext, cached: Int64?? = nil) throws -> Int64 {
        if info.sources.isEmpty || info.sources[id] == nil, info.kinds.isEmpty || info.kinds[id] == nil {
            let known: Int64? = switch cached {
            case .some(let c): c ?? (ids.found.isEmpty ? nil : ids.found[id])
            case .none: ids[id]
            }
            if let known { return known }
        }
        if let row = try Int64.fetchOne(db, sql: "SELECT id FROM meters WHERE name = ?", arguments: [id.rawValue]) {
            ids.found[id] = row
            if let s = info.sources[id] {
                try db.execute(sql: "UPDATE meters SET source = ? WHERE id = ? AND source <> ?", arguments: [s.rawValue, row, s.rawValue])
            }
            if let k = info.kinds[id] {
                try db.execute(sql: "UPDATE meters SET kind = ? WHERE id = ? AND kind <> ?", arguments: [k.rawValue, row, k.rawValue])
            }
            return row
        }
        return try upsertMeter(db, Meter(id: id, source: info.sources[id] ?? info.source, kind: info.kinds[id] ?? .interval,
                                         interval: info.interval))
    }

    public func write(_ batch: ReadingBatch, quarantine: [QuarantineEntry], info: BatchInfo) async throws -> WriteSummary {
        try await write(group: [BatchWrite(batch: batch, quarantine: quarantine, info: info)])[0]
    }

    public func write(group: [BatchWrite]) async throws -> [WriteSummary] {
        guard !group.isEmpty else { return [] }
        let summaries = try await pool.write { [rowIDs, inbox] db in
            // The inbox's state changes as rows are written: if this transaction rolls back, it is
            // not trusted until the next write has merged the whole log.
            db.afterNextTransaction { _ in } onRollback: { _ in inbox.invalidate() }
            var ids = WriteContext(cache: rowIDs, inbox: inbox)
            // Rows this process does not hold (another process's, or any after a rollback) go first,
            // and what it knew of its meters' latest starts may be behind them.
            if try inbox.isStale || inbox.through != ReadingLog.lastSeq(db) {
                inbox.invalidate()
                try ids.mergeInbox(db)
            }
            let summaries = try group.map { try Self.write(db, $0.batch, quarantine: $0.quarantine, info: $0.info, ids: &ids) }
            for w in group where !w.registerReads.isEmpty {
                let stmt = try db.cachedStatement(sql: """
                    INSERT INTO register_reads(meter, start, value) VALUES (?, ?, ?)
                    ON CONFLICT(meter) DO UPDATE SET start = excluded.start, value = excluded.value WHERE excluded.start >= register_reads.start
                    """)
                for r in w.registerReads {
                    try stmt.execute(arguments: [try Self.meterRowID(db, r.meter, info: w.info, ids: &ids), r.start, r.value])
                }
            }
            // Only ids of committed meters are remembered: a rolled-back insert must not be reused.
            let found = ids.found, mergedThrough = ids.mergedThrough, lastLogged = ids.lastLogged
            db.afterNextTransaction { _ in
                rowIDs.merge(found)
                if let mergedThrough { inbox.mergedAll(through: mergedThrough, last: lastLogged) }
                if let lastLogged { inbox.committed(through: lastLogged) }
            }
            return summaries
        }
        mergeIfFull()
        return summaries
    }

    static func write(_ db: Database, _ batch: ReadingBatch, quarantine: [QuarantineEntry], info: BatchInfo, ids: inout WriteContext) throws -> WriteSummary {
        try db.cachedStatement(sql: "INSERT INTO batches(origin, source, rows, quarantined) VALUES (?, ?, ?, ?)")
            .execute(arguments: [info.origin, info.source.rawValue, batch.count, quarantine.count])
        var summary = WriteSummary(batch: db.lastInsertedRowID)
        var rowIDs = [Int64](repeating: 0, count: batch.meters.count)
        var seen = [Bool](repeating: false, count: batch.meters.count)
        var distinct = 0
        let cached = ids.cache.rowIDs(of: batch.meters)
        for m in batch.meterIndex.lazy.map(Int.init) where !seen[m] {
            rowIDs[m] = try Self.meterRowID(db, batch.meters[m], info: info, ids: &ids, cached: cached[m])
            seen[m] = true
            distinct += 1
        }
        // In key order, each insert lands beside the previous one's B-tree page. A live batch
        // usually comes in that order already (its meters were numbered in the order it names them).
        var order = Array(0..<batch.count)
        func before(_ a: Int, _ b: Int) -> Bool {
            let ma = rowIDs[Int(batch.meterIndex[a])], mb = rowIDs[Int(batch.meterIndex[b])]
            return ma != mb ? ma < mb : batch.start[a] != batch.start[b] ? batch.start[a] < batch.start[b] : a < b
        }
        if !order.indices.dropFirst().allSatisfy({ before($0 - 1, $0) }) { order.sort(by: before) }
        // Many readings per meter (a file import): straight into their blocks, after the log, in order.
        let bulk = batch.count >= 8 * max(distinct, 1)
        if bulk, ids.logMayHoldRows { try ids.mergeInbox(db) }
        let written = bulk ? try BlockWriter(db).write(order.map { i in
            BlockWriter.Pending(meter: rowIDs[Int(batch.meterIndex[i])], start: batch.start[i], kwh: batch.kwh[i],
                                quality: batch.quality(at: i), rule: batch.ruleName(at: i), batch: summary.batch)
        }) : []
        if bulk { try ReadingLog.countDirectWrite(db) }
        // What this batch logs and moves on, handed to the inbox's state in one step at the end; rows
        // are in key order, so one meter's are together at the end of the list while it is written.
        var logged: [ReadingLog.Row] = []
        var latest: [(meter: Int64, start: Int64)] = []
        var lastMeter = Int64.min, lastStart = Int64.min, startMoved = false
        for (n, i) in order.enumerated() {
            let meter = rowIDs[Int(batch.meterIndex[i])], start = batch.start[i]
            let kwh = batch.kwh[i], quality = batch.quality(at: i), rule = batch.ruleName(at: i)
            if meter != lastMeter {
                if startMoved { latest.append((lastMeter, lastStart)) }
                lastStart = bulk ? (ids.inbox.latest(meter) ?? .max) : try ids.latestStart(db, meter: meter)
                lastMeter = meter
                startMoved = false
            }
            let change: BlockWriter.Change
            if bulk {
                change = written[n]
            } else {
                // Later than anything the meter has, a reading is new; otherwise the stored value
                // (waiting in the log or in its block) says what the merge's upsert will make of it.
                let value = StoredValue(kwh: kwh, quality: quality)
                if start > lastStart {
                    change = .inserted
                } else {
                    var earlier: StoredValue?
                    for r in logged.reversed() {
                        guard r.meter == meter else { break }
                        if r.start == start { earlier = StoredValue(kwh: r.kwh, quality: r.quality); break }
                    }
                    change = BlockWriter.change(from: try earlier ?? ids.stored(db, meter: meter, start: start), to: value)
                }
                if change != .unchanged {
                    // What a block refuses must not reach the log, where it would stop every merge.
                    try BlockWriter.check(kwh)
                    logged.append(ReadingLog.Row(meter: meter, start: start, kwh: kwh, quality: quality, rule: rule))
                }
            }
            // A known latest start moves on; an unknown one (a file's meter) is read when next needed.
            if start > lastStart, lastStart != .max {
                lastStart = start
                startMoved = true
            }
            switch change {
            case .unchanged: summary.unchanged += 1
            case .inserted: summary.inserted += 1
            case .corrected: summary.corrected += 1
            }
        }
        if startMoved { latest.append((lastMeter, lastStart)) }
        var seq: Int64?
        if !logged.isEmpty {
            seq = try ReadingLog.append(db, batch: summary.batch, rows: logged)
            ids.lastLogged = seq
            ids.loggedSinceMerge += logged.count
        }
        ids.inbox.apply(seq: seq, batch: summary.batch, rows: logged, latest: latest)
        if bulk { ids.inbox.wroteBlocks(of: rowIDs.indices.lazy.filter { seen[$0] }.map { rowIDs[$0] }) }
        let q = try db.cachedStatement(sql: """
            INSERT INTO quarantine(batch, origin, line, field, reason, detail, raw, meter, start)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for e in quarantine {
            try q.execute(arguments: [summary.batch, e.origin, e.line, e.field, e.reason, e.detail, e.raw,
                                      e.meter?.rawValue, e.start])
        }
        summary.quarantined = quarantine.count
        return summary
    }

    public func meters() async throws -> [MeterSnapshot] {
        try await snapshots(nil)
    }

    public func meter(_ id: MeterID) async throws -> MeterSnapshot? {
        try await snapshots(id).first
    }

    /// Meters (all, or the one named) with their latest reading, by source then name, without merging
    /// the inbox: a meter's latest is the later of its latest in the blocks and its latest waiting in
    /// the inbox (which wins a tie, being newer).
    private func snapshots(_ only: MeterID?) async throws -> [MeterSnapshot] {
        // What waits is copied before the read begins (see `ReadingInbox.waiting`).
        var one: (MeterID, Int64?)?
        if let only { one = (only, try await meterRowIDs([only])[only]) }
        let only = one
        let held = only.map { inbox.held(meters: $0.1.map { [$0] } ?? []) } ?? inbox.heldLatest()
        return try await pool.read { [only] db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT m.id AS meter_row, m.name, m.source, m.kind, m.minutes, b.key, b.data
                FROM meters m
                LEFT JOIN day_blocks b ON b.key = \(BlockTable.lastBlockKeySQL)
                \(only == nil ? "" : "WHERE m.name = ?")
                ORDER BY m.source, m.name
                """, arguments: StatementArguments(only.map { [$0.0.rawValue] } ?? []))
            let waiting = try ReadingInbox.waiting(db, held: held, meters: only.map { Set($0.1.map { [$0] } ?? []) })
            return try rows.compactMap { row -> MeterSnapshot? in
                guard let meter = Self.meter(row) else { return nil }
                var latest: Reading?
                if let key: Int64 = row["key"], let data: Data = row["data"] {
                    latest = try ReadingBlock.decode(meter: row["meter_row"], day: BlockTable.day(ofKey: key), data).records.last
                        .map { Self.reading($0, meter: meter.id, minutes: meter.interval.minutes) }
                }
                let w = ReadingInbox.readings(waiting[row["meter_row"]], id: meter.id, minutes: meter.interval.minutes)
                return MeterSnapshot(meter: meter, latest: ReadingInbox.latest(w, stored: latest))
            }
        }
    }

    static func meter(_ row: Row) -> Meter? {
        guard let id = MeterID(row["name"] as String), let s = SourceID(row["source"] as String) else { return nil }
        return Meter(id: id, source: s, kind: MeterKind(rawValue: row["kind"]) ?? .interval,
                     interval: IntervalLength(minutes: row["minutes"]) ?? .halfHour)
    }

    /// A meter's readings without merging the inbox: those in the blocks, with what waits in the
    /// inbox laid over them (the values the merge will leave), so a read does not wait for the writer.
    public func readings(meter: MeterID, from: Int64?, to: Int64?, limit: Int?) async throws -> [Reading] {
        let rowID = try await meterRowIDs([meter])[meter]
        let held = inbox.held(meters: rowID.map { [$0] } ?? [])
        return try await pool.read { db in
            var out: [Reading] = []
            try Self.scan(db, ReadingFilter(meter: meter, from: from, to: to), limit: limit) { out.append($0) }
            guard let rowID, let minutes = try Int.fetchOne(db, sql: "SELECT minutes FROM meters WHERE id = ?", arguments: [rowID]) else { return out }
            let waiting = try ReadingInbox.waiting(db, held: held, meters: [rowID])
            out = ReadingInbox.laid(out, under: ReadingInbox.readings(waiting[rowID], id: meter, minutes: minutes, from: from, to: to))
            if let limit, out.count > limit { out.removeLast(out.count - limit) }
            return out
        }
    }

    public func scan(_ filter: ReadingFilter, _ body: @Sendable (Reading) throws -> Void) async throws {
        try await readMerged(meters: filter.meter.map { [$0] }) { db in try Self.scan(db, filter, limit: nil, body) }
    }

    static func scan(_ db: Database, _ filter: ReadingFilter, limit: Int?, _ body: (Reading) throws -> Void) throws {
        var sql = "SELECT name, minutes, id FROM meters WHERE last_day IS NOT NULL"
        var args: [any DatabaseValueConvertible] = []
        if let meter = filter.meter { sql += " AND name = ?"; args.append(meter.rawValue) }
        // `+`: meters in name order, filtered, so they stream in order instead of being sorted.
        if let source = filter.source { sql += " AND +source = ?"; args.append(source.rawValue) }
        sql += " ORDER BY name"
        let meters = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
        let from = filter.from ?? .min, to = filter.to ?? .max
        let (low, high) = BlockTable.days(from: filter.from, to: filter.to)
        var left = limit ?? .max
        while left > 0, let row = try meters.next() {
            guard let id = MeterID(row[0] as String) else { continue }
            let minutes: Int = row[1]
            try BlockTable.blocks(db, meter: row[2], days: low, high) { block in
                for r in block.records[block.index(of: from)...] {
                    guard r.start < to, left > 0 else { break }
                    try body(reading(r, meter: id, minutes: minutes))
                    left -= 1
                }
                return left > 0
            }
        }
    }

    static func reading(_ r: ReadingBlock.Record, meter: MeterID, minutes: Int) -> Reading {
        Reading(meter: meter, start: r.start, minutes: minutes, kwh: r.kwh, quality: r.quality, rule: r.rule, batch: r.batch)
    }

    public func versions(meter: MeterID, start: Int64) async throws -> [ReadingVersion] {
        try await readMerged(meters: [meter]) { db in
            try Row.fetchAll(db, sql: """
                SELECT v.version, v.kwh, v.quality, v.rule, v.batch, v.superseded_at FROM reading_versions v
                JOIN meters m ON m.id = v.meter WHERE m.name = ? AND v.start = ? ORDER BY v.version DESC
                """, arguments: [meter.rawValue, start]).map {
                ReadingVersion(version: $0[0], kwh: $0[1], quality: Quality(rawValue: $0[2]) ?? .actual, rule: $0[3],
                               batch: $0[4], supersededAt: $0[5])
            }
        }
    }

    public func quarantine(limit: Int) async throws -> [QuarantineEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT origin, line, field, reason, detail, raw, meter, start FROM quarantine ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map {
                QuarantineEntry(origin: $0[0], line: $0[1], field: $0[2], reason: $0[3], detail: $0[4], raw: $0[5],
                                meter: ($0[6] as String?).flatMap { MeterID($0) }, start: $0[7])
            }
        }
    }

    /// Each meter's last readings in one read, without merging the inbox: its last `count` in
    /// the blocks with what waits in the inbox laid over them.
    public func recent(meters ids: [MeterID], count: Int) async throws -> [MeterID: [Reading]] {
        guard count > 0 else { return [:] }
        let rowIDs = try await meterRowIDs(ids)
        let held = inbox.held(meters: rowIDs.values)
        return try await pool.read { db in
            let waiting = try ReadingInbox.waiting(db, held: held, meters: Set(rowIDs.values))
            var out: [MeterID: [Reading]] = [:]
            let minutesOf = try db.cachedStatement(sql: "SELECT minutes FROM meters WHERE id = ?")
            for id in ids {
                guard let rowID = rowIDs[id], let minutes = try Int.fetchOne(minutesOf, arguments: [rowID]) else { continue }
                let stored = try BlockTable.last(db, meter: rowID, count: count).map { Self.reading($0, meter: id, minutes: minutes) }
                // Waiting readings older than the stored ones count too when the blocks hold fewer
                // than `count` (a meter whose file came after its live readings).
                let w = ReadingInbox.readings(waiting[rowID], id: id, minutes: minutes, from: stored.count >= count ? stored.first?.start : nil)
                let rows = ReadingInbox.laid(stored, under: w).suffix(count)
                if !rows.isEmpty { out[id] = Array(rows) }
            }
            return out
        }
    }

    /// Each meter's latest reading, without merging the inbox (the later of the blocks and the inbox).
    public func latest(meters ids: [MeterID]) async throws -> [MeterID: Reading] {
        let rowIDs = try await meterRowIDs(ids)
        let held = inbox.held(meters: rowIDs.values)
        return try await pool.read { db in
            let waiting = try ReadingInbox.waiting(db, held: held, meters: Set(rowIDs.values))
            var out: [MeterID: Reading] = [:]
            let minutesOf = try db.cachedStatement(sql: "SELECT minutes FROM meters WHERE id = ?")
            for id in ids {
                guard let rowID = rowIDs[id], let minutes = try Int.fetchOne(minutesOf, arguments: [rowID]) else { continue }
                let stored = try BlockTable.last(db, meter: rowID, count: 1).first.map { Self.reading($0, meter: id, minutes: minutes) }
                out[id] = ReadingInbox.latest(ReadingInbox.readings(waiting[rowID], id: id, minutes: minutes), stored: stored)
            }
            return out
        }
    }

    /// Row counts of the main tables, for tests and `status` output.
    public func counts() async throws -> (readings: Int, versions: Int, quarantine: Int, meters: Int) {
        try await readMerged { db in
            (try BlockTable.count(db),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM reading_versions") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM quarantine") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM meters") ?? 0)
        }
    }
}

