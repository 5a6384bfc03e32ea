import Foundation
import MeterCleanse
import MeterCore
import MeterStore
@testable import NutCrackerEngine
import TestSupport
import Testing

/// The live pipeline's gaps wait for late readings (`VEEConfig.estimationDelay`): a reading that
/// comes out of order is stored as measured, not as the correction of an estimate, and a process
/// that starts again takes up the gaps its store leaves waiting.
@Suite struct EstimationDelayTests {
    let dir = TemporaryDirectory()
    let t0: Int64 = 1_795_824_000
    let rules = RuleSet(VEEConfig(maxGap: 4, estimationDelay: 4))

    func request(_ meter: String, _ slots: [(Int64, Double)]) -> IngestRequest {
        var b = ReadingBatch()
        for (slot, kwh) in slots { b.append(Reading(meter: MeterID(meter)!, start: t0 + slot * 1800, kwh: kwh)) }
        return IngestRequest(batch: b, info: BatchInfo(origin: "gw", source: SourceID("S")!))
    }

    func stored(_ store: SQLiteStore, _ meter: String) async throws -> [Int64: (Double, Quality)] {
        let rows = try await store.readings(meter: MeterID(meter)!, from: nil, to: nil, limit: nil)
        return Dictionary(uniqueKeysWithValues: rows.map { (($0.start - t0) / 1800, ($0.kwh, $0.quality)) })
    }

    @Test func lateReadingsAreStoredAsMeasuredAndARestartTakesUpTheGapsThatWait() async throws {
        let store = try SQLiteStore(path: dir.path("delay.sqlite"))
        try await store.migrate()
        let first = Pipeline(store: store, rules: rules)
        // S-1: slot 3 before slots 1 and 2; S-2: slot 1 never comes.
        var s = try await first.ingest(group: [request("S-1", [(0, 1)]), request("S-2", [(0, 10)])])
        s = try await first.ingest(group: [request("S-1", [(3, 4)]), request("S-2", [(2, 30)])])
        #expect(s.map(\.estimated) == [0, 0])
        #expect(first.metersWaitingEstimation.value == 2)
        s = try await first.ingest(group: [request("S-1", [(1, 2)])])
        #expect(s[0].inserted == 1 && s[0].corrected == 0)

        // A new process over the same store: slot 2 of S-1 still fills its slot as measured.
        let second = Pipeline(store: store, rules: rules)
        _ = try await second.resume(detectorDays: 0)
        #expect(second.metersWaitingEstimation.value == 2)
        s = try await second.ingest(group: [request("S-1", [(2, 3)])])
        #expect(s[0].inserted == 1 && s[0].corrected == 0 && s[0].estimated == 0)
        #expect(try await stored(store, "S-1").values.allSatisfy { $0.1 == .actual })

        // S-2's slot 1 is estimated once the meter is four slots past it, between its neighbours.
        s = try await second.ingest(group: [request("S-2", [(3, 30), (4, 30)])])
        #expect(s[0].estimated == 0)
        s = try await second.ingest(group: [request("S-2", [(5, 30)])])
        #expect(s[0].estimated == 1 && s[0].inserted == 2)
        let s2 = try await stored(store, "S-2")
        #expect(s2[1]?.0 == 20 && s2[1]?.1 == .estimated)
        #expect(s2.count == 6)
        #expect(second.metersWaitingEstimation.value == 0)
    }

    @Test func aFileIsEstimatedAtOnceWhateverTheServersDelay() async throws {
        let store = try SQLiteStore(path: dir.path("file.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store, rules: rules)
        let csv = dir.path("gap.csv")
        try "meter_id,timestamp,kwh\nF-1,2026-11-29T00:00:00Z,1\nF-1,2026-11-29T00:30:00Z,1\nF-1,2026-11-29T01:30:00Z,3\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let summary = try await FileImporter().importFile(csv, into: pipeline)
        #expect(summary.estimated == 1 && summary.stored == 4, "\(summary)")
    }

    @Test func aFileTakesUpTheGapsThatWaitAndEstimatesWhatIsStillEmptyAtOnce() async throws {
        let store = try SQLiteStore(path: dir.path("fill.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store, rules: rules)
        _ = try await pipeline.ingest(group: [request("F-2", [(0, 1)])])
        _ = try await pipeline.ingest(group: [request("F-2", [(3, 4)])])
        #expect(pipeline.metersWaitingEstimation.value == 1)
        // A file brings slot 1: slot 2, still empty, is estimated between slots 1 and 3.
        let csv = dir.path("fill.csv")
        try "meter_id,timestamp,kwh\nF-2,\(ISO8601.format(t0 + 1800)),2\nF-2,\(ISO8601.format(t0 + 5 * 1800)),6\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let importer = FileImporter(vee: VEEConfig(interval: .halfHour), intervalGiven: true)
        let summary = try await importer.importFile(csv, into: pipeline)
        #expect(summary.estimated == 2, "slot 2 and slot 4: \(summary)")
        #expect(pipeline.metersWaitingEstimation.value == 0)
        let f2 = try await stored(store, "F-2")
        #expect(f2[2]?.0 == 3 && f2[2]?.1 == .estimated)
        #expect(f2[1]?.1 == .actual && f2[4]?.1 == .estimated && f2.count == 6)
    }
}
