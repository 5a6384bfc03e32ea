import Foundation
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterStore
import NutCrackerEngine
import TestSupport
import Testing

/// A restarted process picks up where the detectors were: it knows the meters' habits at once and
/// closes what the last process left open.
@Suite struct DetectorReplayTests {
    let dir = TemporaryDirectory()
    let day0: Int64 = 1_767_225_600
    let steady = MeterID("STEADY1") ?? .unknown
    let held = MeterID("HELD1") ?? .unknown
    let source = SourceID("A") ?? .unassigned

    /// A smooth day: nights 0.2, days 0.6, evenings 1.2 kWh, a little noise.
    func value(_ k: Int, seed: Int) -> Double {
        let slot = k % 48
        let base = slot < 14 ? 0.2 : slot < 34 ? 0.6 : slot < 44 ? 1.2 : 0.4
        return base * (1 + 0.1 * Double((k * 7 + seed * 13) % 11 - 5) / 5)
    }

    func batch(_ slots: Range<Int>, _ value: (MeterID, Int) -> Double) -> ReadingBatch {
        var batch = ReadingBatch()
        for id in [steady, held] {
            let m = batch.intern(id)
            for k in slots { batch.append(meter: m, start: day0 + Int64(k) * 1800, kwh: value(id, k)) }
        }
        return batch
    }

    /// 21 days through a process with detectors: the steady meter's ordinary days, and the held
    /// meter's last two days at one value (a hold the process reported and left open).
    func history(_ name: String) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: dir.path(name))
        try await store.migrate()
        let first = Pipeline(store: store, detectors: DetectorConfig())
        for d in 0..<21 {
            let b = batch((d * 48)..<((d + 1) * 48)) { id, k in id == held && k >= 19 * 48 ? 0.5 : value(k, seed: id == held ? 2 : 1) }
            _ = try await first.ingest(b, info: BatchInfo(origin: "history", source: source))
        }
        // An outage the last process had open when it stopped.
        try await store.write(anomalies: [Anomaly(kind: .outage, meter: nil, source: source, start: day0 + 20 * 86_400, end: day0 + 20 * 86_400 + 1800,
                                                  detectedAt: day0 + 20 * 86_400 + 1800, severity: .critical, score: 1, expected: 0, observed: 5,
                                                  detail: "5 of 5 meters of source A at zero together", open: true)])
        return store
    }

    /// The next day after the restart: a 3 kWh half-hour at 02:00 on the steady meter; the held
    /// meter moves again at 06:00.
    func nextDay(_ pipeline: Pipeline) async throws {
        let spike = 21 * 48 + 4
        let b = batch((21 * 48)..<(22 * 48)) { id, k in
            id == steady ? (k == spike ? 3.0 : value(k, seed: 1)) : (k < 21 * 48 + 12 ? 0.5 : value(k, seed: 2))
        }
        _ = try await pipeline.ingest(b, info: BatchInfo(origin: "live", source: source))
        await pipeline.drainDetections()
    }

    @Test func aRestartedServerKnowsItsMetersAtOnceAndClosesWhatWasLeftOpen() async throws {
        let store = try await history("resumed.sqlite")
        let openBefore = try await store.anomalies(AnomalyFilter(openOnly: true), limit: 100)
        let hold = try #require(openBefore.first { $0.kind == .flatline && $0.meter == held })
        #expect(openBefore.contains { $0.kind == .outage })

        let restarted = Pipeline(store: store, detectors: DetectorConfig(), detection: .background)
        let summary = try await restarted.resume(detectorDays: 28)
        #expect(summary.meters == 2 && summary.readings == 2 * 21 * 48)
        // The outage nothing has open any more is closed; the hold the replay found open again stays open.
        #expect(summary.closed == 1)
        let open = try await store.anomalies(AnomalyFilter(openOnly: true), limit: 100)
        #expect(open.map(\.id) == [hold.id], "\(open.map(\.id))")
        await #expect(throws: Pipeline.DetectionAlreadyRunning.self) {
            try await nextDay(restarted)
            _ = try await restarted.resume()
        }

        // The first spike after the restart is found, and the hold closes where the meter moved again.
        let spikes = try await store.anomalies(AnomalyFilter(kinds: [.spike], meter: steady), limit: 10)
        #expect(spikes.map(\.start) == [day0 + Int64(21 * 48 + 4) * 1800])
        let closed = try await store.anomalies(AnomalyFilter(kinds: [.flatline], meter: held), limit: 10)
        #expect(closed.count == 1 && closed.first?.id == hold.id && closed.first?.open == false)
        #expect(closed.first.map { $0.end >= day0 + Int64(21 * 48 + 11) * 1800 } == true)

        // Without the replay the same day finds no spike: a cold detector does not trust its envelope yet.
        let cold = try await history("cold.sqlite")
        try await nextDay(Pipeline(store: cold, detectors: DetectorConfig(), detection: .background))
        #expect(try await cold.anomalies(AnomalyFilter(kinds: [.spike], meter: steady), limit: 10).isEmpty)
    }

    /// A register meter (cumulative reads) and an interval meter written by one process.
    func meters(_ name: String) async throws -> (SQLiteStore, register: MeterID, interval: MeterID) {
        let store = try SQLiteStore(path: dir.path(name))
        try await store.migrate()
        let register = try #require(MeterID("REG9")), interval = try #require(MeterID("INT9"))
        let first = Pipeline(store: store)
        try await first.register([Meter(id: register, source: source, kind: .register), Meter(id: interval, source: source)])
        var b = ReadingBatch()
        let r = b.intern(register), i = b.intern(interval)
        for (k, v) in [1000.0, 1000.5, 1001.0].enumerated() { b.append(meter: r, start: day0 + Int64(k) * 1800, kwh: v) }
        for (k, v) in [1.0, 2.0, 3.0].enumerated() { b.append(meter: i, start: day0 + Int64(k) * 1800, kwh: v) }
        _ = try await first.ingest(b, info: BatchInfo(origin: "first", source: source))
        return (store, register, interval)
    }

    /// The next process's first readings: two register reads, and the interval meter two slots on.
    func afterRestart(_ register: MeterID, _ interval: MeterID) -> ReadingBatch {
        var c = ReadingBatch()
        let r = c.intern(register), i = c.intern(interval)
        for (k, v) in [1001.4, 1001.9].enumerated() { c.append(meter: r, start: day0 + Int64(k + 3) * 1800, kwh: v) }
        c.append(meter: i, start: day0 + 5 * 1800, kwh: 6)
        return c
    }

    @Test func aRegisterMeterContinuesAfterARestartAndGapsAcrossItAreBridged() async throws {
        // Through the live path, after `resume`.
        let (store, register, interval) = try await meters("live.sqlite")
        let live = Pipeline(store: store)
        _ = try await live.resume(detectorDays: 0)
        _ = try await live.write(await live.stage([IngestRequest(batch: afterRestart(register, interval), info: BatchInfo(origin: "live", source: source))]))
        // The register continues from its last raw read, stored with the first process's batch: 1001.0
        // to 1001.4 to 1001.9 are 0.4 and 0.5 kWh, not 1001.4 kWh of interval energy, and no new baseline.
        let reads = try await store.readings(meter: register, from: day0 + 2 * 1800, to: nil, limit: nil)
        #expect(reads.map(\.kwh).map { ($0 * 1000).rounded() / 1000 } == [0.4, 0.5])
        #expect(try await store.quarantine(limit: 10).isEmpty)
        // The interval meter's two missing slots across the restart are estimated from its stored latest.
        let bridged = try await store.readings(meter: interval, from: day0 + 3 * 1800, to: nil, limit: nil)
        #expect(bridged.map(\.kwh) == [4, 5, 6] && bridged.map(\.quality) == [.estimated, .estimated, .actual])

        // Through `ingest` (imports, the simulated feed) without `resume`: the stored kinds are learned
        // on the first batch, so the register is read as one; it starts from a new baseline there.
        let (other, register2, interval2) = try await meters("ingest.sqlite")
        _ = try await Pipeline(store: other).ingest(afterRestart(register2, interval2), info: BatchInfo(origin: "import", source: source))
        let reads2 = try await other.readings(meter: register2, from: day0 + 2 * 1800, to: nil, limit: nil)
        #expect(reads2.map(\.kwh).map { ($0 * 1000).rounded() / 1000 } == [0.5])
        #expect(try await other.quarantine(limit: 10).isEmpty)
    }

    @Test func aProcessThatWritesItsHistoryAfreshDoesNotContinueFromTheStore() async throws {
        // The demo simulates its fleet's history again over a store that already holds it: each of
        // its single-read batches differences against the one before, not against the stored (later) read.
        let (store, register, _) = try await meters("afresh.sqlite")
        let again = Pipeline(store: store)
        _ = try await again.resume(detectorDays: 0, continuing: false)
        var baselines = 0
        for (k, v) in [1000.0, 1000.5, 1001.0].enumerated() {
            var b = ReadingBatch()
            b.append(meter: b.intern(register), start: day0 + Int64(k) * 1800, kwh: v)
            baselines += try await again.ingest(b, info: BatchInfo(origin: "again", source: source)).report.count(RegisterDifference.baseline)
        }
        #expect(baselines == 1)
        #expect(try await store.quarantine(limit: 10).isEmpty)
    }

    /// A gauge's half hours over `days` days: a warm month (70 to 76 degrees a day), then one six
    /// degrees cooler.
    func gaugeHistory(_ name: String, saving: Bool) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: dir.path(name))
        try await store.migrate()
        let server = Pipeline(store: store, detectors: DetectorConfig(), detection: .background,
                              bandsSavedEvery: saving ? .zero : .seconds(3600))
        for d in 0..<60 {
            var b = ReadingBatch()
            let m = b.intern(gauge)
            for k in (d * 48)..<((d + 1) * 48) { b.append(meter: m, start: day0 + Int64(k) * 1800, kwh: gaugeValue(k)) }
            _ = try await server.ingest(b, info: BatchInfo(origin: "gauge", source: source))
        }
        await server.drainDetections()
        if saving {
            // Kept as it ran (after every batch here); and as it stops.
            for _ in 0..<100 where try await store.detectorState(named: "operating_band")[gauge] == nil { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await store.detectorState(named: "operating_band")[gauge] != nil)
            try await server.saveDetectorState()
        }
        return store
    }

    let gauge = MeterID("GAUGE1") ?? .unknown

    func gaugeValue(_ k: Int) -> Double {
        let hour = Double(k % 48) / 2
        return 73 - 3 * cos((hour - 3) / 24 * 2 * .pi) + 0.3 * sin(Double(k) * 1.3) - (k >= 30 * 48 ? 6 : 0)
    }

    /// A restarted server and a warm afternoon like the first month's: the boundary events it raises.
    func warmAfternoonAfterRestart(_ store: SQLiteStore) async throws -> [Anomaly] {
        let restarted = Pipeline(store: store, detectors: DetectorConfig(), detection: .background)
        _ = try await restarted.resume(detectorDays: 28)
        var b = ReadingBatch()
        let m = b.intern(gauge)
        for k in (60 * 48)..<(61 * 48) { b.append(meter: m, start: day0 + Int64(k) * 1800, kwh: gaugeValue(k) + (k % 48 == 30 ? 6 : 0)) }
        _ = try await restarted.ingest(b, info: BatchInfo(origin: "live", source: source))
        await restarted.drainDetections()
        return try await store.anomalies(AnomalyFilter(kinds: [.boundary], from: day0 + 60 * 86_400), limit: 100)
    }

    @Test func aRestartedServerKeepsTheOperatingBandsItLearned() async throws {
        // The band learned over both months holds the warm afternoon; a band learned again from
        // the replayed cool weeks alone would call it an excursion.
        let kept = try await warmAfternoonAfterRestart(try await gaugeHistory("bands.sqlite", saving: true))
        #expect(kept.isEmpty, "\(kept.map(\.detail))")
        let relearned = try await warmAfternoonAfterRestart(try await gaugeHistory("no-bands.sqlite", saving: false))
        #expect(relearned.count == 1 && relearned.first?.start == day0 + (60 * 48 + 30) * 1800, "\(relearned.map(\.detail))")
    }
}
