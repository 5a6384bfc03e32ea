import Foundation
import MeterCore
import MeterStore
import NutCrackerEngine
import TestSupport
import Testing

/// The ingest queue keeps pace with the background detectors: no group is taken while too many
/// committed readings wait for them, so their backlog, and the memory it holds, stays bounded.
@Suite struct IngestQueueTests {
    let dir = TemporaryDirectory()

    @Test func aGroupWaitsWhileTheDetectorsAreBehindAndIsStoredOnceTheyCatchUp() async throws {
        let store = try SQLiteStore(path: dir.path("queue.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store)
        let queue = IngestQueue(pipeline: pipeline, maxDetectionBacklog: 100)
        let meter = MeterID("Q-1")!
        var batch = ReadingBatch()
        batch.append(Reading(meter: meter, start: 1_795_824_000, kwh: 0.4))
        let request = IngestRequest(batch: batch, info: BatchInfo(origin: "gw", source: SourceID("Q")!))

        pipeline.detectionBacklog.set(101)
        let submitted = Task { try await queue.submit(request) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await store.readings(meter: meter, from: nil, to: nil, limit: nil).isEmpty, "stored while the detectors were behind")

        pipeline.detectionBacklog.set(100)
        let summary = try await submitted.value
        #expect(summary.inserted == 1)
        #expect(try await store.readings(meter: meter, from: nil, to: nil, limit: nil).map(\.kwh) == [0.4])
    }
}
