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

    /// Rows in `readings` itself, without the merge every public read does first.
    func rowsInReadings(_ s: SQLiteStore) async throws -> Int {
        try await s.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM readings") ?? 0 }
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
        // It merged that meter's shard only (50 meters over 128 shards: one meter a shard).
        #expect(try await rowsInReadings(s) == 3)
        #expect(try await s.counts().readings == 150)
    }

    @Test func aReadOfOneMeterMergesOnlyItsShard() async throws {
        let s = try await store()
        _ = try await s.write(live(meters: 300, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
        let one = try await s.readings(meter: MeterID("L-5")!, from: nil, to: nil, limit: nil)
        #expect(one.map(\.kwh) == [6])
        // 300 meters over 128 shards: the meter's shard holds two or three of them.
        let moved = 300 - s.inbox.pending
        #expect(moved >= 1 && moved <= 3)
        #expect(try await rowsInReadings(s) == moved)
        // A fleet-wide read merges everything.
        #expect(try await s.meters().count == 300)
        #expect(s.inbox.pending == 0)
        #expect(try await rowsInReadings(s) == 300)
    }

    @Test func aRestartMergesWhatWasAcknowledged() async throws {
        do {
            let s = try await store()
            _ = try await s.write(live(meters: 20, slot: 0), quarantine: [], info: BatchInfo(origin: "gw"))
            #expect(s.inbox.pending == 20)
        }
        let reopened = try await store()
        #expect(try await reopened.pool.read { try ReadingInbox.hasRows($0) } == false)
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
}
