import Foundation
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
import Synchronization
import TestSupport
import Testing

@Suite struct PipelineTests {
    let dir = TemporaryDirectory()

    @Test func simulatedFleetFlowsThroughVEEIntoTheStore() async throws {
        let store = try SQLiteStore(path: dir.path("fleet.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store)
        var config = FleetConfig()
        config.duplicateRate = 0.01
        config.invalidRate = 0.005
        let feed = FleetFeed(pipeline: pipeline, config: config, startingAt: 1_795_824_000)
        try await feed.backfill(slots: 96)
        let injected = await feed.injected
        let report = await pipeline.report
        let duplicates = injected.filter { $0.kind == .duplicate }.count
        #expect(duplicates > 0)
        #expect(report.count(DuplicateCheck.exact) == duplicates)
        #expect(report.count(NotANumberCheck.empty) + report.count(NotANumberCheck.unparseable)
                == injected.filter { $0.kind == .invalid }.count)
        let counts = try await store.counts()
        #expect(counts.meters == 30)
        // Register meters: one baseline per meter, then intervals.
        let meters = try await store.meters()
        #expect(meters.filter { $0.meter.kind == .register }.count == (await feed.meters).filter { $0.kind == .register }.count)
        #expect(meters.allSatisfy { $0.latest != nil })
        // Live steps continue the series: no baseline again, gaps bridged.
        let step = try await feed.step()
        #expect(step.report.count(RegisterDifference.baseline) == 0)
        #expect(step.stored >= 25)
        // Quarantined rows are stored with their reason, and the text the fleet sent.
        #expect(counts.quarantine == report.total(.quarantined))
        let unparseable = try await store.quarantine(limit: 1_000).filter { $0.reason == "unparseable" }
        #expect(!unparseable.isEmpty && unparseable.allSatisfy { $0.raw.hasSuffix(",NaN") || $0.raw.hasSuffix(",n/a") }, "\(unparseable.map(\.raw))")
    }

    @Test func aFleetStartedAgainContinuesFromWhatItStored() async throws {
        let store = try SQLiteStore(path: dir.path("again.sqlite"))
        try await store.migrate()
        let config = FleetConfig(), t0: Int64 = 1_795_824_000, step = config.interval.seconds
        // Nothing stored: the fleet ends now (at its slot's start).
        #expect(try await FleetFeed.start(of: config, over: store, now: t0 + 100, historySlots: 4) == t0 - 4 * step)
        let first = FleetFeed(pipeline: Pipeline(store: store), config: config, startingAt: t0)
        try await first.backfill(slots: 10)
        // An earlier run ran ahead of now: the next one picks up after its last slot...
        let start = try await FleetFeed.start(of: config, over: store, now: t0 + 3 * step, historySlots: 4)
        #expect(start == t0 + 6 * step)
        let again = FleetFeed(pipeline: Pipeline(store: store), config: config, startingAt: start)
        try await again.backfill(slots: 4)
        #expect(await again.nextSlot == t0 + 10 * step)
        let summary = try await again.step()
        #expect(summary.stored >= 25)
        // ...and one that stopped in the past is overtaken by now.
        #expect(try await FleetFeed.start(of: config, over: store, now: t0 + 50 * step + 7, historySlots: 4) == t0 + 46 * step)
    }

    @Test func fileImportContinuesGapsFromTheStore() async throws {
        let store = try SQLiteStore(path: dir.path("gaps.sqlite"))
        try await store.migrate()
        let a = try dir.write("a.csv", "meter_id,timestamp,kwh\nM1,2026-11-28T00:00:00Z,1\n")
        let b = try dir.write("b.csv", "meter_id,timestamp,kwh\nM1,2026-11-28T02:00:00Z,5\n")
        _ = try await FileImporter().importFile(a, into: Pipeline(store: store))
        let s = try await FileImporter().importFile(b, into: Pipeline(store: store))
        #expect(s.estimated == 3)
        let rows = try await store.readings(meter: MeterID("M1")!, from: nil, to: nil, limit: nil)
        #expect(rows.map(\.kwh) == [1, 2, 3, 4, 5])
    }

    @Test func quarantinedRowsKeepTheirRawLineFromTheFile() async throws {
        let store = try SQLiteStore(path: dir.path("q.sqlite"))
        try await store.migrate()
        let path = try dir.write("q.csv", """
            meter_id,timestamp,kwh
            M1,2026-11-28T00:00:00Z,1
            M1,2026-11-28T00:30:00Z,-4
            M1,2026-11-28T00:00:00Z,9
            M1,2026-11-28T01:00:00Z,oops
            """)
        let s = try await FileImporter().importFile(path, into: Pipeline(store: store))
        #expect(s.quarantined == 3 && s.duplicates == 1 && s.invalid == 2)
        let q = try await store.quarantine(limit: 10)
        let byLine = Dictionary(uniqueKeysWithValues: q.map { ($0.line, $0) })
        #expect(byLine[3]?.raw == "M1,2026-11-28T00:30:00Z,-4" && byLine[3]?.reason == "negative")
        #expect(byLine[4]?.raw == "M1,2026-11-28T00:00:00Z,9" && byLine[4]?.reason == "conflicting_duplicate")
        #expect(byLine[5]?.raw == "M1,2026-11-28T01:00:00Z,oops" && byLine[5]?.reason == "unparseable")
        #expect(q.allSatisfy { $0.origin == path })
        // A JSON file's refused elements keep their text too (keys in order, as the reader quotes them).
        let json = try dir.write("q.json", #"[{"meter_id":"M2","start":"2026-11-28T00:00:00Z","kwh":1},{"meter_id":"M2","start":"2026-11-28T00:30:00Z","kwh":"oops"}]"#)
        _ = try await FileImporter().importFile(json, into: Pipeline(store: store))
        #expect(try await store.quarantine(limit: 1).first?.raw == #"{"kwh":"oops","meter_id":"M2","start":"2026-11-28T00:30:00Z"}"#)
    }
}

/// A register meter's reset is quarantined by VEE and reported by the register detector, with its source.
@Suite struct PipelineRegisterAnomalyTests {
    let dir = TemporaryDirectory()

    @Test func aRegisterResetIsAnAnomaly() async throws {
        let store = try SQLiteStore(path: dir.path("reg.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store, detectors: DetectorConfig())
        let id = try #require(MeterID("REG1")), source = try #require(SourceID("B"))
        try await pipeline.register([Meter(id: id, source: source, kind: .register)])
        var batch = ReadingBatch()
        let m = batch.intern(id)
        for (k, v) in [1000.0, 1000.4, 1000.9, 1001.2, 0.3, 0.7].enumerated() {
            batch.append(meter: m, start: 1_767_225_600 + Int64(k) * 1800, kwh: v)
        }
        let summary = try await pipeline.ingest(batch, info: BatchInfo(origin: "test", source: source))
        #expect(summary.quarantined >= 1)
        let found = try await store.anomalies(AnomalyFilter(kinds: [.registerReset]), limit: 10)
        #expect(found.count == 1)
        #expect(found.first?.meter == id && found.first?.source == source && found.first?.expected == 1001.2 && found.first?.observed == 0.3)
    }
}

/// Detectors in the background find exactly what they find inline, once drained.
@Suite struct BackgroundDetectionTests {
    let dir = TemporaryDirectory()

    /// Three meters a source, every one of them tampered with at some point: a feed with events to find.
    static func tamperedFleet(_ pipeline: Pipeline) -> FleetFeed {
        var config = FleetConfig()
        config.metersPerSource = 3
        config.tamperingRate = 1
        return FleetFeed(pipeline: pipeline, config: config, startingAt: 1_767_225_600)
    }

    func run(_ mode: DetectionMode, name: String) async throws -> (reports: Int, stored: [String]) {
        let store = try SQLiteStore(path: dir.path(name))
        try await store.migrate()
        let pipeline = Pipeline(store: store, detectors: DetectorConfig(), detection: mode)
        let feed = Self.tamperedFleet(pipeline)
        try await feed.backfill(slots: 21 * 48)
        await pipeline.drainDetections()
        let stored = try await store.anomalies(AnomalyFilter(), limit: 100_000)
            .map { "\($0.kind.rawValue) \($0.meter?.rawValue ?? "-") \($0.start) \($0.end)" }.sorted()
        return (await pipeline.anomalyReports, stored)
    }

    @Test func backgroundFindsWhatInlineFinds() async throws {
        let inline = try await run(.inline, name: "inline.sqlite")
        let background = try await run(.background, name: "background.sqlite")
        #expect(inline.reports > 0)
        #expect(background.reports == inline.reports)
        #expect(background.stored == inline.stored)
    }

    /// Counts the writes of anomaly reports.
    final class CountingStore: StoreWrapper {
        let inner: SQLiteStore
        private let writes = Mutex(0)
        init(_ inner: SQLiteStore) { self.inner = inner }
        var anomalyWrites: Int { writes.withLock { $0 } }
        func write(anomalies: [Anomaly]) async throws {
            writes.withLock { $0 += 1 }
            try await inner.write(anomalies: anomalies)
        }
    }

    /// Under a stream of batches, the reports of many batches share one write (a synced commit each),
    /// at most one every `reportsEvery`, and none is lost.
    @Test func reportsOfManyBatchesShareAWrite() async throws {
        let store = CountingStore(try SQLiteStore(path: dir.path("spaced.sqlite")))
        try await store.migrate()
        let every = Duration.milliseconds(200)
        let pipeline = Pipeline(store: store, detectors: DetectorConfig(), detection: .background, reportsEvery: every)
        let feed = Self.tamperedFleet(pipeline)
        let clock = ContinuousClock(), began = clock.now
        try await feed.backfill(slots: 21 * 48)
        await pipeline.drainDetections()
        let elapsed = (clock.now - began).inSeconds
        let reports = await pipeline.anomalyReports
        #expect(reports > 0)
        #expect(store.anomalyWrites >= 1)
        #expect(Double(store.anomalyWrites) <= elapsed / every.inSeconds + 2)
        let stored = try await store.anomalies(AnomalyFilter(), limit: 100_000)
            .map { "\($0.kind.rawValue) \($0.meter?.rawValue ?? "-") \($0.start) \($0.end)" }.sorted()
        #expect(stored == (try await run(.inline, name: "inline-spaced.sqlite")).stored)
    }

    /// A drain does not wait out the pause between writes: with a pause far longer than the run,
    /// the reports held back by it are written as soon as someone waits for them.
    @Test func aDrainCutsThePauseBetweenWritesShort() async throws {
        let store = CountingStore(try SQLiteStore(path: dir.path("paused.sqlite")))
        try await store.migrate()
        let pipeline = Pipeline(store: store, detectors: DetectorConfig(), detection: .background, reportsEvery: .seconds(60))
        let feed = Self.tamperedFleet(pipeline)
        // A first write, then more reports, which wait for the pause after it.
        try await feed.backfill(slots: 14 * 48)
        await pipeline.drainDetections()
        let first = store.anomalyWrites
        let clock = ContinuousClock(), began = clock.now
        try await feed.backfill(slots: 7 * 48)
        await pipeline.drainDetections()
        #expect(clock.now - began < .seconds(30))
        #expect(first >= 1 && store.anomalyWrites > first)
        let stored = try await store.anomalies(AnomalyFilter(), limit: 100_000)
            .map { "\($0.kind.rawValue) \($0.meter?.rawValue ?? "-") \($0.start) \($0.end)" }.sorted()
        #expect(stored == (try await run(.inline, name: "inline-paused.sqlite")).stored)
    }

    /// A live batch's readings carry each meter's registered source, else the request's; a meter
    /// registered anew is seen under its new source from the next batch on, though the batch names
    /// the same meters as the one before.
    @Test func aMeterRegisteredUnderAnotherSourceIsSeenThereFromTheNextBatch() async throws {
        let store = try SQLiteStore(path: dir.path("sources.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store)
        let live = await pipeline.events()
        let meters = (0..<40).map { MeterID("R-\($0)")! }
        let t0: Int64 = 1_795_824_000
        func batch(_ slot: Int64) -> ReadingBatch {
            var b = ReadingBatch()
            for m in meters { b.append(Reading(meter: m, start: t0 + slot * 1800, kwh: 1)) }
            return b
        }
        let gateway = BatchInfo(origin: "gw", source: SourceID("GW")!)
        _ = try await pipeline.ingest(batch(0), info: gateway)
        _ = try await pipeline.ingest(batch(1), info: gateway)
        try await pipeline.register(meters.map { Meter(id: $0, source: SourceID("SITE")!) })
        _ = try await pipeline.ingest(batch(2), info: gateway)
        var seen: [[SourceID]] = []
        for await event in live {
            if case .stored(let b) = event { seen.append(Array(Set(b.readings.map(\.source))).sorted()) }
            if seen.count == 3 { break }
        }
        #expect(seen == [[SourceID("GW")!], [SourceID("GW")!], [SourceID("SITE")!]])
    }
}
