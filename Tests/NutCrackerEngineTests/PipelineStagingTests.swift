import Foundation
import MeterCore
import MeterStore
@testable import NutCrackerEngine
import Synchronization
import TestSupport
import Testing

/// Groups cleansed while the one before is written: written in the order staged, and a group whose
/// predecessor failed is refused, with nothing of it stored and no series continued from it.
@Suite struct PipelineStagingTests {
    let dir = TemporaryDirectory()
    let t0: Int64 = 1_795_824_000

    func request(_ slot: Int64, kwh: Double) -> IngestRequest {
        var b = ReadingBatch()
        b.append(Reading(meter: MeterID("S-1")!, start: t0 + slot * 1800, kwh: kwh))
        return IngestRequest(batch: b, info: BatchInfo(origin: "gw", source: SourceID("S")!))
    }

    @Test func stagedGroupsAreWrittenInOrderAndAFailureStopsTheNext() async throws {
        let inner = try SQLiteStore(path: dir.path("staging.sqlite"))
        try await inner.migrate()
        let store = RefusingStore(inner)
        let pipeline = Pipeline(store: store)

        // Two groups in order: the second continues the first's series (the gap between is estimated).
        let first = await pipeline.stage([request(0, kwh: 1)])
        let second = await pipeline.stage([request(3, kwh: 4)])
        let w2 = Task { try await pipeline.write(second) }
        let w1 = try await pipeline.write(first)
        let s2 = try await w2.value
        #expect(w1[0].inserted == 1 && s2[0].estimated == 2 && s2[0].inserted == 3)
        #expect(store.batchesWritten == [[t0], [t0 + 1800, t0 + 3600, t0 + 5400]])

        // The store refuses the next group: the one staged after it is refused too, unwritten.
        store.refuseNext()
        let failing = await pipeline.stage([request(4, kwh: 5)])
        let after = await pipeline.stage([request(6, kwh: 7)])
        await #expect(throws: (any Error).self) { try await pipeline.write(failing) }
        await #expect(throws: PipelineError.self) { try await pipeline.write(after) }
        #expect(store.batchesWritten.count == 2)

        // The meter then continues from what was stored, not from the refused readings.
        let next = try await pipeline.ingest(group: [request(8, kwh: 9)])
        #expect(next[0].estimated == 0 && next[0].inserted == 1)
        let rows = try await inner.readings(meter: MeterID("S-1")!, from: nil, to: nil, limit: nil)
        #expect(rows.map(\.kwh) == [1, 2, 3, 4, 9])
    }
}

/// The embedded store, refusing one group commit when told to; records the starts of what it wrote.
final class RefusingStore: StoreWrapper {
    let inner: SQLiteStore
    private let state = Mutex((refuse: false, written: [[Int64]]()))

    init(_ inner: SQLiteStore) { self.inner = inner }

    func refuseNext() { state.withLock { $0.refuse = true } }
    var batchesWritten: [[Int64]] { state.withLock { $0.written } }

    struct Refused: Error {}

    func write(group: [BatchWrite]) async throws -> [WriteSummary] {
        let refuse = state.withLock { s in defer { s.refuse = false }; return s.refuse }
        if refuse { throw Refused() }
        let out = try await inner.write(group: group)
        state.withLock { $0.written += group.map { $0.batch.start.sorted() } }
        return out
    }
}
