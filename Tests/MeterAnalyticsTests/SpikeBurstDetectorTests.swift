import MeterCore
@testable import MeterAnalytics
import Testing

/// Spikes that come far closer together than the meter has ever had them.
struct SpikeBurstDetectorTests {
    let meter = MeterID("B1") ?? MeterID.unknown

    /// A pair of spikes every 100 readings at 5-minute intervals, at zero between; `burst` adds
    /// spikes at those readings.
    func series(count: Int = 4000, burst: [Int] = []) -> [Observation] {
        (0..<count).map { k in
            let spike = k % 100 == 0 || k % 100 == 6 || burst.contains(k)
            return Observation(meter: meter, source: nil, start: 1_767_225_600 + Int64(k) * 300, value: spike ? 20 : 0,
                               interval: 300, slotOfDay: (k % 288), weekend: false)
        }
    }

    func run(_ s: [Observation]) -> [Anomaly] {
        var d = SpikeBurstDetector()
        var out: [Anomaly] = []
        for o in s { d.observe(o, into: &out) }
        d.finish(into: &out)
        return out
    }

    @Test func aBurstOfSpikesIsOneEventWithItsCountAndTheUsualMost() {
        let found = run(series(burst: [2005, 2006, 2010]))
        let opened = found.filter(\.open)
        #expect(opened.count == 1)
        let a = try? #require(opened.first)
        #expect(a?.kind == .spikeBurst && a?.detectedAt == 1_767_225_600 + 2010 * 300)
        #expect(a?.observed == 4 && a?.expected == 2)
        #expect(a?.detail.contains("at most 2") == true)
        #expect(found.filter { !$0.open }.count == 1)
    }

    @Test func theUsualRhythmOfSpikesIsNothing() {
        #expect(run(series()).isEmpty)
    }
}
