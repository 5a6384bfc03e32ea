import MeterCore
import MeterIngest
import MeterStore
@testable import NutCrackerEngine
import Testing

/// A subscriber's share of a stored batch: the readings of its meters and of its sources' meters, in
/// the batch's order, whether it names a few meters (found by name) or many (hashed).
struct StoredBatchTests {
    @Test func aSubscriberTakesTheReadingsOfItsMetersAndSourcesInTheBatchsOrder() {
        var rng = SplitMix64(seed: 5)
        var batch = ReadingBatch()
        var sources: [SourceID] = []
        for k in 0..<40 {
            _ = batch.intern(MeterID("SB-\(k)")!)
            sources.append(SourceID(k % 3 == 0 ? "A" : "B")!)
        }
        for i in 0..<120 {
            let m = Int32(rng.next() % 40)
            batch.append(meter: m, start: 1_800 * Int64(i), kwh: Double(i) / 8, quality: i % 7 == 0 ? .estimated : .actual)
        }
        let stored = StoredBatch(summary: IngestSummary(origin: "test"), batch: batch, meterSources: sources, minutes: 30)
        #expect(stored.count == 120 && stored.readings.count == 120)
        #expect(stored.readings.allSatisfy { sources[Int($0.meter.rawValue.dropFirst(3)) ?? -1] == $0.source })
        let few: Set<MeterID> = [MeterID("SB-3")!, MeterID("SB-17")!, MeterID("SB-99")!]
        let many = Set((0..<40).filter { $0 % 4 == 1 }.map { MeterID("SB-\($0)")! })
        let a: Set<SourceID> = [SourceID("A")!], none: Set<SourceID> = [], nobody: Set<MeterID> = []
        let cases: [(Set<MeterID>, Set<SourceID>)] = [(few, none), (many, none), (nobody, a), (few, a), (nobody, none),
                                                      ([MeterID("SB-99")!], [SourceID("C")!])]
        for (meters, wanted) in cases {
            let expected = stored.readings.filter { meters.contains($0.meter) || wanted.contains($0.source) }
            #expect(stored.readings(meters: meters, sources: wanted) == expected)
        }
        #expect(!stored.readings(meters: few, sources: []).isEmpty && !stored.readings(meters: many, sources: []).isEmpty)
    }
}
