import Foundation
import MeterCore
import GRDB
@testable import MeterStore
import TestSupport
import Testing

@Suite struct SQLiteStoreTests {
    let dir = TemporaryDirectory()
    let m1 = MeterID("M1")!
    let t0: Int64 = 1_795_824_000

    func store() async throws -> SQLiteStore {
        let s = try SQLiteStore(path: dir.path("store.sqlite"))
        try await s.migrate()
        return s
    }

    func batch(_ rows: [(Int64, Double, Quality)]) -> ReadingBatch {
        var b = ReadingBatch()
        for (slot, v, q) in rows {
            b.append(Reading(meter: m1, start: t0 + slot * 1800, kwh: v, quality: q, rule: q == .estimated ? "gap_estimation" : nil))
        }
        return b
    }

    @Test func aRegisterMetersLastRawReadIsKeptWithItsBatchAndNeverGoesBack() async throws {
        let s = try await store()
        let reg = try #require(MeterID("REG1"))
        let read = { (slot: Int64, v: Double) in RegisterRead(meter: reg, start: self.t0 + slot * 1800, value: v) }
        _ = try await s.write(group: [BatchWrite(batch: batch([(0, 1, .actual)]), quarantine: [], info: BatchInfo(origin: "a"), registerReads: [read(3, 1000.5)])])
        #expect(try await s.registerReads() == [read(3, 1000.5)])
        // A later batch moves it on; one carrying an older read (a late file) does not move it back.
        _ = try await s.write(group: [BatchWrite(batch: batch([(1, 1, .actual)]), quarantine: [], info: BatchInfo(origin: "b"), registerReads: [read(5, 1001.2)])])
        _ = try await s.write(group: [BatchWrite(batch: batch([(2, 1, .actual)]), quarantine: [], info: BatchInfo(origin: "c"), registerReads: [read(4, 1000.9)])])
        #expect(try await s.registerReads() == [read(5, 1001.2)])
        // It survives the process: a new store over the same file reads it.
        let again = try SQLiteStore(path: dir.path("store.sqlite"))
        #expect(try await again.registerReads() == [read(5, 1001.2)])
    }

    @Test func detectorStateIsKeptPerMeterAndNameAndReplaced() async throws {
        let s = try await store()
        _ = try await s.write(batch([(0, 1, .actual)]), quarantine: [], info: BatchInfo(origin: "a"))
        let stranger = try #require(MeterID("NOBODY"))
        try await s.write(detectorState: [m1: [1, 2, 3], stranger: [9]], named: "band")
        try await s.write(detectorState: [m1: [7]], named: "other")
        #expect(try await s.detectorState(named: "band") == [m1: [1, 2, 3]])
        try await s.write(detectorState: [m1: [4, 5]], named: "band")
        let again = try SQLiteStore(path: dir.path("store.sqlite"))
        #expect(try await again.detectorState(named: "band") == [m1: [4, 5]])
        #expect(try await again.detectorState(named: "other") == [m1: [7]])
        #expect(try await again.detectorState(named: "none").isEmpty)
    }

    @Test func writingTheSameReadingsTwiceIsANoOp() async throws {
        let s = try await store()
        let b = batch([(0, 1, .actual), (1, 2, .actual)])
        let first = try await s.write(b, quarantine: [], info: BatchInfo(origin: "a.csv"))
        let again = try await s.write(b, quarantine: [], info: BatchInfo(origin: "a.csv"))
        #expect(first.inserted == 2 && first.corrected == 0)
        #expect(again.inserted == 0 && again.corrected == 0 && again.unchanged == 2)
        let c = try await s.counts()
        #expect(c.readings == 2 && c.versions == 0 && c.meters == 1)
        // Migrating again changes nothing.
        try await s.migrate()
        #expect(try await s.counts().readings == 2)
    }

    @Test func aDifferentValueIsACorrectionKeptAsAVersion() async throws {
        let s = try await store()
        let first = try await s.write(batch([(0, 1, .actual)]), quarantine: [], info: BatchInfo(origin: "a.csv"))
        let fix = try await s.write(batch([(0, 1.5, .actual)]), quarantine: [], info: BatchInfo(origin: "b.csv"))
        #expect(fix.corrected == 1)
        let now = try await s.readings(meter: m1, from: nil, to: nil, limit: nil)
        #expect(now.map(\.kwh) == [1.5] && now.first?.batch == fix.batch)
        let old = try await s.versions(meter: m1, start: t0)
        #expect(old.count == 1 && old[0].kwh == 1 && old[0].version == 1 && old[0].batch == first.batch)
    }

    @Test func anEstimateNeverReplacesAMeasuredValueButAMeasuredValueReplacesAnEstimate() async throws {
        let s = try await store()
        _ = try await s.write(batch([(0, 1, .actual), (1, 7, .estimated)]), quarantine: [], info: BatchInfo(origin: "a"))
        let est = try await s.write(batch([(0, 3, .estimated)]), quarantine: [], info: BatchInfo(origin: "b"))
        #expect(est.unchanged == 1)
        let real = try await s.write(batch([(1, 2, .actual)]), quarantine: [], info: BatchInfo(origin: "c"))
        #expect(real.corrected == 1)
        let rows = try await s.readings(meter: m1, from: nil, to: nil, limit: nil)
        #expect(rows.map(\.kwh) == [1, 2] && rows.map(\.quality) == [.actual, .actual])
    }

    @Test func quarantineKeepsReasonOriginLineAndRawText() async throws {
        let s = try await store()
        let entry = QuarantineEntry(origin: "feed.csv", line: 7, field: "kwh", reason: "negative", detail: "negative value -1",
                                    raw: "M1,2026-11-28T00:00:00Z,-1", meter: m1, start: t0)
        let w = try await s.write(ReadingBatch(), quarantine: [entry], info: BatchInfo(origin: "feed.csv"))
        #expect(w.quarantined == 1)
        #expect(try await s.quarantine(limit: 10) == [entry])
    }

    @Test func timeRangesMetersAndLatest() async throws {
        let s = try await store()
        try await s.register([Meter(id: m1, source: SourceID("B")!, kind: .register)])
        _ = try await s.write(batch((0..<48).map { ($0, Double($0), .actual) }), quarantine: [], info: BatchInfo(origin: "a"))
        let range = try await s.readings(meter: m1, from: t0 + 10 * 1800, to: t0 + 20 * 1800, limit: nil)
        #expect(range.map(\.kwh) == (10..<20).map(Double.init))
        let limited = try await s.readings(meter: m1, from: nil, to: nil, limit: 5)
        #expect(limited.count == 5)
        let meters = try await s.meters()
        #expect(meters.count == 1 && meters[0].meter.source.rawValue == "B" && meters[0].meter.kind == .register)
        #expect(meters[0].latest?.kwh == 47)
        #expect(try await s.latest(meters: [m1])[m1]?.start == t0 + 47 * 1800)
        let seen = Counter()
        try await s.scan(ReadingFilter(source: SourceID("B"))) { _ in seen.add() }
        #expect(seen.value == 48)
        let none = Counter()
        try await s.scan(ReadingFilter(source: SourceID("A"))) { _ in none.add() }
        #expect(none.value == 0)
    }

    @Test func aWriteThatFailsLeavesNothingBehind() async throws {
        let s = try await store()
        var b = batch([(0, 1, .actual)])
        b.append(meter: 0, start: t0 + 1800, kwh: .nan) // NOT NULL kwh: SQLite stores NaN as NULL and refuses
        await #expect(throws: (any Error).self) { try await s.write(b, quarantine: [], info: BatchInfo(origin: "bad")) }
        #expect(try await s.counts().readings == 0)
    }
}

final class Counter: Sendable {
    private let box = Mutex(0)
    func add() { box.withLock { $0 += 1 } }
    var value: Int { box.withLock { $0 } }
}

import Synchronization

extension SQLiteStoreTests {
    @Test func anomalyCountsAreTheWholeMatchWhateverAListShows() async throws {
        let s = try await store()
        let m2 = MeterID("M2")!
        var events: [Anomaly] = []
        for k in 0..<40 {
            events.append(Anomaly(kind: .spike, meter: k % 4 == 0 ? m2 : m1, source: nil, start: t0 + Int64(k) * 1800, end: t0 + Int64(k + 1) * 1800,
                                  detectedAt: t0 + Int64(k + 1) * 1800, severity: .warning, score: 1, expected: 0.1, observed: 1, detail: "",
                                  open: k % 3 == 0))
        }
        try await s.write(anomalies: events)
        #expect(try await s.anomalies(AnomalyFilter(), limit: 30).count == 30)
        let all = try await s.anomalyCounts(AnomalyFilter())
        #expect(all.all == 40 && all.open == 14)
        let one = try await s.anomalyCounts(AnomalyFilter(meter: m2))
        #expect(one.all == 10 && one.open == events.filter { $0.meter == m2 && $0.open }.count)
        #expect(try await s.anomalyCounts(AnomalyFilter(openOnly: true)) == (14, 14))
    }

    /// A write of more reports than one commit takes, out of id order, with several reports of one
    /// event far apart: every event is stored once, as its last report says.
    @Test func aLargeWriteKeepsEachEventsLastReport() async throws {
        let s = try await store()
        let n = SQLiteStore.anomaliesPerCommit * 2 + 37
        func report(_ k: Int, end: Int64, open: Bool) -> Anomaly {
            Anomaly(kind: k % 2 == 0 ? .valley : .spike, meter: MeterID("M\(n - k)")!, source: nil, start: t0, end: end, detectedAt: end,
                    severity: .warning, score: 1, expected: 1, observed: 0, detail: open ? "so far" : "closed", open: open)
        }
        var reports = (0..<n).map { report($0, end: t0 + 1800, open: true) }
        // Each tenth event grows, then closes, in later reports.
        for k in stride(from: 0, to: n, by: 10) { reports.append(report(k, end: t0 + 3600, open: true)) }
        for k in stride(from: 0, to: n, by: 10) { reports.append(report(k, end: t0 + 5400, open: false)) }
        try await s.write(anomalies: reports)
        let stored = try await s.anomalies(AnomalyFilter(), limit: 10 * n)
        #expect(stored.count == n)
        let closed = stored.filter { !$0.open }
        #expect(closed.count == (n + 9) / 10)
        #expect(closed.allSatisfy { $0.end == t0 + 5400 && $0.detail == "closed" })
        #expect(stored.filter(\.open).allSatisfy { $0.end == t0 + 1800 })
    }
}

extension SQLiteStoreTests {
    @Test func commitsAreSyncedToDiskUnlessAskedOtherwise() async throws {
        let full = try await store()
        #expect(full.durability == .full)
        // The writer's setting is the one that counts; readers' too, for the record.
        #expect(try await full.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        #expect(try await full.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        let normal = try SQLiteStore(path: dir.path("normal.sqlite"), durability: .normal)
        try await normal.migrate()
        #expect(try await normal.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)
    }

    /// A merge moves readings already synced in the log, so its commits skip the sync; the writer
    /// is back to synced commits for everything after it.
    @Test func aMergeLeavesTheWriterSyncingCommits() async throws {
        let s = try await store()
        for slot in 0..<3 as Range<Int64> { _ = try await s.write(batch([(slot, Double(slot), .actual)]), quarantine: [], info: BatchInfo(origin: "live")) }
        #expect(s.waitingReadings > 0)
        try await s.mergeInbox()
        #expect(s.waitingReadings == 0)
        #expect(try await s.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        #expect(try await s.readings(meter: m1, from: nil, to: nil, limit: nil).map(\.kwh) == [0, 1, 2])
    }
}
