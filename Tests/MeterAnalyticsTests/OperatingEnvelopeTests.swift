import Foundation
import MeterCore
@testable import MeterAnalytics
import Testing

/// The learned operating band of gauge-like series, and the streaming quantile behind it.
struct OperatingEnvelopeTests {
    let meter = MeterID("T1") ?? MeterID.unknown
    let start: Int64 = 1_767_225_600

    /// A pseudo-random value in [-0.5, 0.5).
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
    }

    /// An office's temperature, hourly: 70 at night, 76 in the afternoon, noise of a degree.
    func temperature(days: Int, seed: UInt64 = 3) -> [(Int64, Double)] {
        var noise = Noise(state: seed)
        return (0..<(days * 24)).map { h in
            let hour = Double(h % 24)
            return (start + Int64(h) * 3600, 73 - 3 * cos((hour - 3) / 24 * 2 * .pi) + noise.next())
        }
    }

    func run(_ series: [(Int64, Double)], config: OperatingEnvelope.Config = .init()) -> [Anomaly] {
        var envelope = OperatingEnvelope(config: config)
        var out: [Anomaly] = []
        for (t, v) in series {
            let local = t % 86_400
            envelope.observe(Observation(meter: meter, source: nil, start: t, value: v, interval: 3600,
                                         slotOfDay: Int(local / 3600), weekend: false), into: &out)
        }
        envelope.finish(into: &out)
        return out
    }

    @Test func aQuantileOfAStreamIsCloseToTheExactOne() {
        var noise = Noise(state: 11)
        var values: [Double] = []
        var q = (low: StreamingQuantile(0.01), mid: StreamingQuantile(0.5), high: StreamingQuantile(0.99))
        #expect(q.low.value == nil)
        for _ in 0..<20_000 {
            // A skewed distribution: the sum of a uniform and the square of another.
            let v = 10 + 4 * noise.next() + 6 * pow(noise.next() + 0.5, 2)
            values.append(v)
            q.low.add(v); q.mid.add(v); q.high.add(v)
        }
        q.low.add(.nan)
        let sorted = values.sorted()
        for (estimate, p) in [(q.low.value, 0.01), (q.mid.value, 0.5), (q.high.value, 0.99)] {
            let exact = sorted[Int(p * Double(sorted.count - 1))]
            #expect(abs((estimate ?? 0) - exact) < 0.1, "p \(p): \(estimate ?? -1) against \(exact)")
        }
        #expect(q.low.count == 20_000)
    }

    @Test func theFirstFiveValuesAreExact() {
        var q = StreamingQuantile(0.5)
        for v in [5.0, 1, 4, 2, 3] { q.add(v) }
        #expect(q.value == 3)
    }

    @Test func aSlowDriftOutOfTheBandIsOneExcursionFoundWhereItPassesTheLimit() {
        // Forty days in the band, then the temperature sinks by 0.25 a degree an hour for two days,
        // stays down a day, and comes back.
        var s = temperature(days: 45)
        let from = 40 * 24
        for h in from..<(s.count) {
            let k = h - from
            let sink = k < 48 ? 0.25 * Double(k) : k < 72 ? 12 : max(0, 12 - 2 * Double(k - 72))
            s[h].1 -= sink
        }
        let events = run(s)
        #expect(events.count == 2, "\(events.map(\.detail))")
        guard let opened = events.first, let closed = events.last else { return }
        #expect(opened.open && !closed.open && opened.id == closed.id)
        #expect(opened.kind == .boundary && opened.observed < opened.expected)
        // The band is about 69.5 to 76.5: its limit, a quarter of its width below, is near 67.7. A
        // creeping minimum would have followed the drift down; the band holds.
        let limit = opened.expected - 0.25 * 7
        let crossing = s.first { $0.0 >= s[from].0 && $0.1 < limit - 0.5 }?.0 ?? .max
        #expect(opened.detectedAt <= crossing, "opened at \(opened.detectedAt - s[from].0) s into the drift")
        #expect(opened.detectedAt > s[from].0 + 12 * 3600)
        // It closes when the values are back in the band, having seen the lowest.
        #expect(closed.observed < 62 && closed.end > s[from + 72].0 && closed.end < s[from + 80].0, "\(closed.detail)")
        #expect(closed.detail.contains("below") && closed.detail.contains("1st percentile"))
        // Outside for more than a day: critical by the time it closes, a warning when it opened.
        #expect(opened.severity == .warning && closed.severity == .critical)
    }

    @Test func nothingIsJudgedWhileTheBandIsLearned() {
        var s = temperature(days: 20)
        s[15 * 24].1 = 40
        #expect(run(s).isEmpty)
    }

    @Test func aHouseholdHasNoBand() {
        // Zero-based with a long upper tail: the 1st percentile is far under a fifth of the 99th.
        var noise = Noise(state: 5)
        var s: [(Int64, Double)] = (0..<(60 * 24)).map { h in
            let v = 0.05 + 0.1 * (noise.next() + 0.5) + (h % 24 == 19 ? 2 : 0) * (noise.next() + 0.5)
            return (start + Int64(h) * 3600, v)
        }
        s[50 * 24 + 3].1 = 2.5
        #expect(run(s).isEmpty)
        var envelope = OperatingEnvelope()
        var out: [Anomaly] = []
        for (t, v) in s { envelope.observe(Observation(meter: meter, source: nil, start: t, value: v, interval: 3600, slotOfDay: 0, weekend: false), into: &out) }
        #expect(envelope.limits == nil)
    }

    @Test func aSeriesAcrossZeroHasNoBandAndANegativeOneHasOne() {
        var across = OperatingEnvelope(), negative = OperatingEnvelope()
        var out: [Anomaly] = []
        for (t, v) in temperature(days: 30) {
            let o = { (x: Double) in Observation(meter: meter, source: nil, start: t, value: x, interval: 3600, slotOfDay: 0, weekend: false) }
            across.observe(o(v - 73), into: &out)
            negative.observe(o(-v), into: &out)
        }
        #expect(across.limits == nil)
        let band = negative.limits?.band
        #expect(band.map { $0.lowerBound > -77 && $0.upperBound < -69 } == true, "\(String(describing: band))")
    }

    @Test func aLastingChangeBecomesTheNewNormal() {
        // Down by ten degrees for good: the excursion ends once the band has learned the new level.
        var s = temperature(days: 90)
        for h in (40 * 24)..<(s.count) { s[h].1 -= 10 }
        let events = run(s)
        #expect(Set(events.map(\.id)).count == 1, "\(events.map(\.detail))")
        let closed = events.last { !$0.open }
        #expect(closed.map { $0.end > s[47 * 24].0 && $0.end < s[80 * 24].0 } == true, "\(events.map(\.detail))")
    }

    @Test func aSetReportsAnExcursionOpenHourlyAndClosesIt() {
        var s = temperature(days: 45)
        for h in (40 * 24)..<(41 * 24) { s[h].1 -= 15 }
        var set = DetectorSet(keepsHistory: false)
        var out: [Anomaly] = []
        for (t, v) in s { out += set.observe(meter: meter, source: nil, start: t, value: v, interval: 3600) }
        out += set.finish()
        let band = out.filter { $0.kind == .boundary }
        #expect(Set(band.map(\.id)).count == 1, "\(out.map(\.id))")
        #expect(band.count >= 10 && band.dropLast().allSatisfy(\.open) && band.last?.open == false, "\(band.map(\.detail))")
        #expect(band.last.map { $0.end - $0.start >= 23 * 3600 } == true)
        #expect(set.remembered == 0)
    }

    @Test func anExcursionOfOneValueThatIsASpikeIsClosedNotDropped() {
        // A gauge reading about 12 jumps to 40 for one value: a spike, and an excursion out of the band
        // that closes at the next value, where the spike is reported. A one-off breach of a learned
        // limit folds into the spike; the excursion's closing report does not, or it would stay open.
        var s = temperature(days: 45).map { ($0.0, $0.1 / 6) }
        s[40 * 24 + 14].1 = 40
        var set = DetectorSet(keepsHistory: false)
        var out: [Anomaly] = []
        for (t, v) in s { out += set.observe(meter: meter, source: nil, start: t, value: v, interval: 3600) }
        #expect(out.contains { $0.kind == .spike && $0.start == s[40 * 24 + 14].0 }, "\(out.map { "\($0.id) \($0.detail)" })")
        let band = out.filter { $0.kind == .boundary }
        #expect(band.map(\.open) == [true, false] && Set(band.map(\.id)).count == 1, "\(band.map(\.detail))")
        #expect(band.first?.detectedAt == s[40 * 24 + 14].0)
        #expect(set.openEvents.isEmpty && set.remembered == 0)
    }

    @Test func anEstimatorContinuedFromItsStateIsTheOneThatNeverStopped() {
        var noise = Noise(state: 17)
        var whole = StreamingQuantile(0.01), first = StreamingQuantile(0.01)
        for _ in 0..<3_000 { let v = 50 + 10 * noise.next(); whole.add(v); first.add(v) }
        var continued = StreamingQuantile(0.01, state: first.state)
        for _ in 0..<3_000 { let v = 40 + 10 * noise.next(); whole.add(v); continued.add(v) }
        #expect(continued.state == whole.state && continued.count == 6_000)
        // Four values, and a state that is not an estimator's, are taken as they are or not at all.
        var few = StreamingQuantile(0.5)
        for v in [3.0, 1, 2, 4] { few.add(v) }
        var fewContinued = StreamingQuantile(0.5, state: few.state)
        fewContinued.add(5)
        #expect(fewContinued.value == 3)
        var bad = first.state
        bad[6] = bad[8] + 1 // markers out of order
        #expect(StreamingQuantile(0.01, state: bad).count == 0)
        #expect(StreamingQuantile(0.01, state: [1, 2, .nan]).count == 0)
    }

    @Test func aLearnedBandSurvivesItsBytesAndNothingElseReadsAsOne() throws {
        var envelope = OperatingEnvelope()
        var out: [Anomaly] = []
        for (t, v) in temperature(days: 30) {
            envelope.observe(Observation(meter: meter, source: nil, start: t, value: v, interval: 3600, slotOfDay: 0, weekend: false), into: &out)
        }
        let learned = try #require(envelope.learned)
        #expect(OperatingEnvelope.Learned(bytes: learned.bytes) == learned)
        #expect(OperatingEnvelope.Learned(bytes: Array(learned.bytes.dropLast())) == nil)
        var other = learned.bytes
        other[0] = 2
        #expect(OperatingEnvelope.Learned(bytes: other) == nil)
        #expect(OperatingEnvelope().learned == nil)
    }

    @Test func aRestoredBandJudgesAReplayWithoutLearningItTwice() throws {
        // Sixty days: a warm month, then a cool one. A process that saw both knows a wide band; one
        // that replays only the cool month would not.
        var s = temperature(days: 60)
        for h in (30 * 24)..<(60 * 24) { s[h].1 -= 6 }
        var first = OperatingEnvelope()
        var out: [Anomaly] = []
        let observe = { (e: inout OperatingEnvelope, t: Int64, v: Double) in
            e.observe(Observation(meter: meter, source: nil, start: t, value: v, interval: 3600, slotOfDay: 0, weekend: false), into: &out)
        }
        for (t, v) in s { observe(&first, t, v) }
        let learned = try #require(first.learned)
        out = [] // the cool month was an excursion until it became the meter's normal
        // Restored, then the last 28 days replayed: nothing learned twice, the same band.
        var restarted = OperatingEnvelope()
        restarted.restore(learned)
        for (t, v) in s.suffix(28 * 24) { observe(&restarted, t, v) }
        #expect(restarted.learned == learned)
        // A warm afternoon, as in the first month, is within the band it keeps...
        let next = s[s.count - 1].0 + 3600
        observe(&restarted, next, 76)
        #expect(out.isEmpty, "\(out.map(\.detail))")
        // ...where a band from the replayed month alone calls it an excursion.
        var coldConfig = OperatingEnvelope.Config()
        coldConfig.learning = 27 * 86_400
        var cold = OperatingEnvelope(config: coldConfig)
        for (t, v) in s.suffix(28 * 24) { observe(&cold, t, v) }
        #expect(out.isEmpty)
        observe(&cold, next, 76)
        #expect(out.count == 1 && out.first?.open == true && out.first?.start == next)
    }
}
