import Foundation
import GRDB
import MeterCore
@testable import MeterStore
import TestSupport
import Testing

/// Live readings that extend their series wait in the inbox: every read still sees them, a restart
/// merges what was left, and a late reading is judged against the value it will meet.
@Suite struct ReadingInboxTests {
    let dir = TemporaryDirectory()
    let t0: Int64 = 1_795_824_000

    func store(limit: Int = 1_000_000) async throws -> SQLiteStore {
        let s = try SQLiteStore(path: dir.path("inbox.sqlite"), inboxLimit: limit)
        try await s.migrate()
        return s
    }

    /// One reading per meter at one slot: what a gateway sends every half hour.
    func live(meters: Int, slot: Int64, kwh: Double = 1, quality: Quality = .actual) -> ReadingBatch {
        var b = ReadingBatch()
        for m in 0..<meters {
            b.append(Reading(meter: MeterID("L-\(m)")!, start: t0 + slot * 1800, kwh: kwh + Double(m), quality: quality,
                             rule: quality == .estimated ? "gap_estimation" : nil))
        }
        return b
    }

    /// Readings in `day_blocks` itself, without the merge every public read does first.
    func rowsInReadings(_ s: SQLiteStore) async throws -> Int {
        try await s.pool.read { try BlockTable.count($0) }
    }

    @Test func liveReadingsWaitInTheInboxAndEveryReadSeesThem() async throws {
        let s = try await store()
        for slot in 0..<3 {
            let w = try await s.write(live(meters: 50, slot: Int64(slot)), quarantine: [], info: BatchInfo(origin: "gw"))
            #expect(w.inserted == 50 && w.corrected == 0 && w.unchanged == 0)
        }
        #expect(s.inbox.pending == 150)
        #expect(try await rowsInReadings(s) == 0)
        // Another store on the file (another process) reads them too: reads merge first.
        let other = try SQLiteStore(path: dir.path("inbox.sqlite"))
        let rows = try await other.readings(meter: MeterID("L-7")!, from: nil, to: nil, limit: nil)
        #expect(rows.map(\.kwh) == [8, 8, 8] && rows.map(\.start) == [t0, t0 + 1800, t0 + 3600])
        // It read the inbox beside `readings`, merging nothing.
        #expect(try await rowsInReadings(s) == 0)
        #expect(try await s.counts().readings == 150)
    }

    @Test func aMetersReadingsAndTheFleetsLatestDoNotWaitForAMerge() async throws {
        let s = try await store()
        _ = try await s.write(live(meters: 300, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
        _ = try await s.write(live(meters: 300, slot: 1, kwh: 10), quarantine: [], info: BatchInfo(origin: "gw"))
        #expect(try await s.readings(meter: MeterID("L-5")!, from: nil, to: nil, limit: nil).map(\.kwh) == [6, 15])
        #expect(try await s.latest(meters: [MeterID("L-5")!, MeterID("L-6")!]).mapValues(\.kwh) == [MeterID("L-5")!: 15, MeterID("L-6")!: 16])
        #expect(try await s.meter(MeterID("L-7")!)?.latest?.kwh == 17)
        let fleet = try await s.meters()
        #expect(fleet.count == 300 && fleet.allSatisfy { $0.latest?.start == t0 + 1800 })
        #expect(s.inbox.pending == 600)
        #expect(try await rowsInReadings(s) == 0)
        // A scan across meters (here a count) merges everything first.
        #expect(try await s.counts().readings == 600)
        #expect(s.inbox.pending == 0)
        #expect(try await rowsInReadings(s) == 600)
    }

    @Test func aReadBesideTheInboxEqualsTheReadAfterTheMerge() async throws {
        let s = try await store()
        // A day already in `readings` (a file), then live readings: new slots, a late correction of a
        // stored slot, an estimate then its measured value, a repeat, an estimate after a measured value.
        var day = ReadingBatch()
        for m in 0..<4 { for slot in 0..<24 { day.append(Reading(meter: MeterID("L-\(m)")!, start: t0 + Int64(slot) * 1800, kwh: 1)) } }
        _ = try await s.write(day, quarantine: [], info: BatchInfo(origin: "day.csv"))
        func one(_ m: Int, _ slot: Int64, _ kwh: Double, _ q: Quality = .actual) -> ReadingBatch {
            var b = ReadingBatch()
            b.append(Reading(meter: MeterID("L-\(m)")!, start: t0 + slot * 1800, kwh: kwh, quality: q, rule: q == .estimated ? "gap_estimation" : nil))
            return b
        }
        for b in [one(0, 24, 2), one(0, 10, 7), one(1, 25, 3, .estimated), one(1, 25, 4), one(1, 25, 4), one(2, 24, 5), one(2, 24, 9, .estimated),
                  one(0, 10, 8), one(2, 3, 6, .estimated), one(3, 23, 6)] {
            _ = try await s.write(b, quarantine: [], info: BatchInfo(origin: "gw"))
        }
        #expect(s.inbox.pending > 0)
        let ids = (0..<4).map { MeterID("L-\($0)")! }
        let ranges: [(Int64?, Int64?, Int?)] = [(nil, nil, nil), (t0 + 5 * 1800, nil, nil), (nil, t0 + 11 * 1800, nil), (t0 + 9 * 1800, nil, 3), (nil, nil, 30)]
        func snapshot() async throws -> [[Reading]] {
            var out: [[Reading]] = []
            for id in ids { for (from, to, limit) in ranges { out.append(try await s.readings(meter: id, from: from, to: to, limit: limit)) } }
            return out
        }
        let before = try await snapshot(), latestBefore = try await s.latest(meters: ids), fleetBefore = try await s.meters()
        let recentBefore = try await s.recent(meters: ids, count: 5)
        // The last five of each: L-1's gap at slot 24 is skipped, L-0's waiting slot 24 is the last.
        #expect(recentBefore[ids[1]]?.map(\.start) == [20, 21, 22, 23, 25].map { t0 + $0 * 1800 })
        #expect(recentBefore[ids[0]]?.map(\.kwh) == [1, 1, 1, 1, 2])
        #expect(try await rowsInReadings(s) == 96)
        // A correction of a meter's latest stored slot, waiting: the latest is the corrected value.
        #expect(latestBefore[ids[3]]?.kwh == 6 && fleetBefore.first { $0.meter.id == ids[3] }?.latest?.kwh == 6)
        // Each meter's whole range (every fifth read): the latest value of each key, estimates never over measured ones.
        #expect(before[0].count == 25 && before[0].first { $0.start == t0 + 10 * 1800 }?.kwh == 8)
        #expect(before[5].count == 25 && before[5].last?.kwh == 4 && before[5].last?.quality == .actual)
        #expect(before[10].first { $0.start == t0 + 3 * 1800 }?.kwh == 1 && before[10].last?.kwh == 5)
        #expect(before[3].map(\.start) == [9, 10, 11].map { t0 + $0 * 1800 })
        try await s.mergeInbox()
        #expect(s.inbox.pending == 0)
        #expect(try await snapshot() == before)
        #expect(try await s.latest(meters: ids) == latestBefore)
        #expect(try await s.meters() == fleetBefore)
        #expect(try await s.recent(meters: ids, count: 5) == recentBefore)
    }

    @Test func aRestartMergesWhatWasAcknowledged() async throws {
        do {
            let s = try await store()
            _ = try await s.write(live(meters: 20, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
            #expect(s.inbox.pending == 20)
        }
        let reopened = try await store()
        #expect(try await reopened.pool.read { try ReadingLog.hasRows($0) } == false)
        #expect(try await rowsInReadings(reopened) == 20)
    }

    @Test func aLateReadingMeetsTheValueWaitingInTheInbox() async throws {
        let s = try await store()
        let meter = MeterID("L-0")!
        let estimate = try await s.write(live(meters: 1, slot: 0, kwh: 5, quality: .estimated), quarantine: [], info: BatchInfo(origin: "a"))
        #expect(estimate.inserted == 1)
        // The measured value replaces the estimate, still in the inbox; a second estimate changes nothing.
        let measured = try await s.write(live(meters: 1, slot: 0, kwh: 2), quarantine: [], info: BatchInfo(origin: "b"))
        #expect(measured.corrected == 1 && measured.inserted == 0)
        let again = try await s.write(live(meters: 1, slot: 0, kwh: 9, quality: .estimated), quarantine: [], info: BatchInfo(origin: "c"))
        #expect(again.unchanged == 1)
        let same = try await s.write(live(meters: 1, slot: 0, kwh: 2), quarantine: [], info: BatchInfo(origin: "d"))
        #expect(same.unchanged == 1)
        let rows = try await s.readings(meter: meter, from: nil, to: nil, limit: nil)
        #expect(rows.map(\.kwh) == [2] && rows.map(\.quality) == [.actual] && rows.first?.batch == measured.batch)
        let versions = try await s.versions(meter: meter, start: t0)
        #expect(versions.map(\.kwh) == [5] && versions.map(\.quality) == [.estimated])
        // After the merge, a correction is judged against `readings`.
        let fix = try await s.write(live(meters: 1, slot: 0, kwh: 3), quarantine: [], info: BatchInfo(origin: "e"))
        #expect(fix.corrected == 1)
        #expect(try await s.versions(meter: meter, start: t0).map(\.kwh) == [2, 5])
    }

    @Test func aKeyTwiceInOneBatchIsACorrectionOfItsFirstValue() async throws {
        let s = try await store()
        var b = ReadingBatch()
        b.append(Reading(meter: MeterID("L-0")!, start: t0, kwh: 1))
        b.append(Reading(meter: MeterID("L-0")!, start: t0, kwh: 2))
        let w = try await s.write(b, quarantine: [], info: BatchInfo(origin: "gw"))
        #expect(w.inserted == 1 && w.corrected == 1)
        #expect(try await s.readings(meter: MeterID("L-0")!, from: nil, to: nil, limit: nil).map(\.kwh) == [2])
        #expect(try await s.versions(meter: MeterID("L-0")!, start: t0).map(\.kwh) == [1])
    }

    @Test func afterAFailedWriteTheInboxIsMergedBeforeItIsTrustedAgain() async throws {
        let s = try await store()
        _ = try await s.write(live(meters: 2, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
        var bad = live(meters: 2, slot: 1)
        bad.append(meter: 0, start: t0 + 2 * 1800, kwh: .nan) // NOT NULL kwh: the whole write rolls back
        await #expect(throws: (any Error).self) { try await s.write(bad, quarantine: [], info: BatchInfo(origin: "bad")) }
        #expect(s.inbox.isStale)
        // The repeat of an acknowledged reading is still no change, and the failed slot is new.
        let again = try await s.write(live(meters: 2, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
        #expect(again.unchanged == 2 && again.inserted == 0)
        let next = try await s.write(live(meters: 2, slot: 1), quarantine: [], info: BatchInfo(origin: "gw"))
        #expect(next.inserted == 2)
        #expect(!s.inbox.isStale)
        #expect(try await s.counts().readings == 4)
    }

    @Test func aFullInboxIsMergedInTheBackground() async throws {
        let s = try await store(limit: 30)
        for slot in 0..<4 {
            _ = try await s.write(live(meters: 10, slot: Int64(slot)), quarantine: [], info: BatchInfo(origin: "gw"))
        }
        // The third write filled the inbox and scheduled the merge; nothing read since, so only it moved rows.
        await s.backgroundMergeFinished()
        #expect(try await rowsInReadings(s) >= 30)
        #expect(s.inbox.pending <= 10)
        #expect(try await s.counts().readings == 40)
    }

    @Test func aMergeDropsEveryLogRowItMovedHoweverMany() async throws {
        // 200 log rows: more than one delete's worth, so the merge drops them in several transactions.
        let s = try await store(limit: 1_950)
        for slot in 0..<200 {
            _ = try await s.write(live(meters: 10, slot: Int64(slot)), quarantine: [], info: BatchInfo(origin: "gw"))
        }
        await s.backgroundMergeFinished()
        let (logRows, low) = try await s.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM readings_log") ?? -1, try ReadingLog.marks(db).min() ?? 0)
        }
        #expect(low >= 195, "every part merged through the cut")
        let above = try await s.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM readings_log WHERE seq > ?", arguments: [low]) ?? -1 }
        #expect(logRows == above, "only rows after the cut are left: \(logRows) of which \(above) after it")
        #expect(try await s.counts().readings == 2_000)
    }

    @Test func fileSizedBatchesGoStraightToReadings() async throws {
        let s = try await store()
        _ = try await s.write(live(meters: 3, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
        var day = ReadingBatch()
        for slot in 0..<48 { day.append(Reading(meter: MeterID("L-1")!, start: t0 + Int64(slot) * 1800, kwh: 4)) }
        let w = try await s.write(day, quarantine: [], info: BatchInfo(origin: "day.csv"))
        // The inbox went first, so the file's value for slot 0 is a correction of the live one.
        #expect(w.inserted == 47 && w.corrected == 1)
        #expect(s.inbox.pending == 0)
        #expect(try await rowsInReadings(s) == 50)
        // Live readings after the file continue from the file's last reading: a repeat is no change.
        var repeatLast = ReadingBatch()
        repeatLast.append(Reading(meter: MeterID("L-1")!, start: t0 + 47 * 1800, kwh: 4))
        let again = try await s.write(repeatLast, quarantine: [], info: BatchInfo(origin: "gw"))
        #expect(again.unchanged == 1 && again.inserted == 0)
    }

    /// Reads of a few meters merge only those meters' parts: the log rows they pass stay kept until
    /// every part has passed them. Enough of them start a merge of every part on the next write,
    /// though fewer readings wait than start one, and it frees them a chunk at a time.
    @Test func enoughEntriesMergedByReadsStartAMergeOfEveryPart() async throws {
        let s = try SQLiteStore(path: dir.path("dead.sqlite"), inboxLimit: 200, durability: .full, inboxChunk: 16)
        try await s.migrate()
        // Row ids 1 to 50 in batch order: three parts hold 47 of the meters, a fourth the last three.
        let read = [0, 20, 40].map { MeterID("L-\($0)")! }
        for slot in 0..<5 {
            _ = try await s.write(live(meters: 50, slot: Int64(slot)), quarantine: [], info: BatchInfo(origin: "gw"))
            for m in read { try await s.scan(ReadingFilter(meter: m)) { _ in } }
        }
        await s.backgroundMergeFinished()
        // No merge yet: few readings wait, while the reads' merges have left many entries behind.
        #expect(s.inbox.pending == 15)
        #expect(s.inbox.dead >= 200 && s.inbox.kept == s.inbox.dead + 15)
        _ = try await s.write(live(meters: 50, slot: 5), quarantine: [], info: BatchInfo(origin: "gw"))
        await s.backgroundMergeFinished()
        #expect(s.inbox.pending == 0)
        #expect(s.inbox.kept < s.inbox.chunk)
        #expect(try await s.counts().readings == 300)
        #expect(try await s.readings(meter: MeterID("L-49")!, from: nil, to: nil, limit: nil).count == 6)
    }
}
