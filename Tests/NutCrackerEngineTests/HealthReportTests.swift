import Foundation
import MeterAnalytics
import MeterCore
import MeterStore
import NutCrackerEngine
import TestSupport
import Testing

/// The meters most likely to need a visit, from the store.
@Suite struct HealthReportTests {
    let dir = TemporaryDirectory()

    @Test func aMeterThatStoppedReportingHeadsTheListHoweverCleanItsPast() async throws {
        let store = try SQLiteStore(path: dir.path("health.sqlite"))
        try await store.migrate()
        let source = try #require(SourceID("A"))
        let ids = try (1...4).map { try #require(MeterID("H\($0)")) }
        var batch = ReadingBatch()
        for (n, id) in ids.enumerated() {
            let m = batch.intern(id)
            // H1 stops a day before the others (four days of half-hours).
            for k in 0..<(n == 0 ? 3 * 48 : 4 * 48) { batch.append(meter: m, start: 1_767_225_600 + Int64(k) * 1800, kwh: 0.3 + 0.1 * Double(k % 7)) }
        }
        _ = try await Pipeline(store: store).ingest(batch, info: BatchInfo(origin: "test", source: source))
        let list = try await HealthReport.compute(store: store)
        #expect(list.first?.meter == ids[0])
        // The day it missed counts against it (before, its period ended at its own last reading), and so does the silence.
        #expect(list.first?.reasons == ["25.0% of intervals missing", "silent for 24 h while its fleet reports"], "\(list.first?.reasons ?? [])")
        #expect(list.first?.score == 48)
        #expect(list.dropFirst().allSatisfy { $0.score == 100 && $0.reasons.isEmpty })
    }
}
