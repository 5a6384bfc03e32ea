import Foundation
import MeterCore
@testable import MeterAnalytics
import Testing

/// Each detector on small series written here, and the scoring rules.
struct DetectorTests {
    let meter = MeterID("M1") ?? MeterID.unknown
    let source = SourceID("A")

    /// Four weeks of a smooth daily profile (night 0.2, day 0.6, evening 1.2 kWh) with mild noise.
    func profile(days: Int, start: Int64 = 1_767_225_600, seed: UInt64 = 1) -> [(Int64, Double)] {
        var state = seed
        func noise() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        return (0..<(days * 48)).map { k in
            let slot = k % 48
            let base = slot < 14 ? 0.2 : slot < 34 ? 0.6 : slot < 44 ? 1.2 : 0.4
            return (start + Int64(k) * 1800, (base * (1 + 0.2 * noise()) * 1000).rounded() / 1000)
        }
    }

    func run(_ series: [(Int64, Double)], config: DetectorConfig = DetectorConfig()) -> [Anomaly] {
        var set = DetectorSet(config: config)
        for (t, v) in series { set.observe(meter: meter, source: source, start: t, value: v, interval: 1800) }
        _ = set.finish()
        return set.anomalies
    }

    @Test func aSpikeIsReportedOneIntervalLaterWithWhatWasExpected() {
        var s = profile(days: 21)
        let k = 20 * 48 + 4 // 02:00 on day 21, a night slot
        s[k].1 = 3.0
        let found = run(s).filter { $0.kind == .spike }
        #expect(found.count == 1)
        let a = found[0]
        #expect(a.start == s[k].0 && a.detectedAt == s[k + 1].0)
        #expect(a.observed == 3.0 && a.expected > 0.15 && a.expected < 0.25)
        #expect(a.detail.contains("usually has"))
    }

    @Test func aDetectorsSettingsAreItsOwnEvenWhenCopiesShareThem() {
        var s = profile(days: 21)
        let k = 20 * 48 + 4
        s[k].1 = 3.0
        // Copies share one copy of their settings until one of them is given settings of its own.
        let template = SpikeValleyDetector()
        var usual = template, deaf = template
        deaf.config.threshold = 1_000
        deaf.config.noisyFarThreshold = 1_000
        var heard: [Anomaly] = [], missed: [Anomaly] = []
        for (t, v) in s {
            let day = CivilDate.floorDiv(t, 86_400)
            let o = Observation(meter: meter, source: source, start: t, value: v, interval: 1800,
                                slotOfDay: Int((t - day * 86_400) / 1800), weekend: CivilDate(epochSeconds: t).isoWeekday >= 6)
            usual.observe(o, into: &heard)
            deaf.observe(o, into: &missed)
        }
        #expect(heard.filter { $0.kind == .spike }.map(\.start) == [s[k].0])
        #expect(missed.filter { $0.kind == .spike }.isEmpty)
        #expect(template.config.threshold == SpikeValleyDetector.Config().threshold && usual.config.threshold == template.config.threshold)
    }

    @Test func aRecurringApplianceIsReportedThreeTimesThenIsTheMetersHabit() {
        var s = profile(days: 60)
        // A 3 kWh half-hour at night every six days (a water heater's boost), then a 6 kWh one.
        let days = [14, 20, 26, 32, 38, 44]
        for (n, d) in days.enumerated() { s[d * 48 + 2 + n].1 = n == days.count - 1 ? 6.0 : 3.0 + 0.1 * Double(n % 2) }
        let reported = run(s).filter { $0.kind == .spike }.map(\.start)
        #expect(reported == [0, 1, 2, 5].map { s[days[$0] * 48 + 2 + $0].0 })
        var config = DetectorConfig()
        config.spike.habitShare = 0
        #expect(run(s, config: config).filter { $0.kind == .spike }.count == days.count)
    }

    @Test func aHabitIsKeptToItsTimeOfDay() {
        var s = profile(days: 60)
        // A 3 kWh half-hour at 02:00 to 03:00 every six days is the meter's habit after three; one of
        // the same height at 14:00 is not.
        let days = [14, 20, 26, 32, 38]
        for (n, d) in days.enumerated() { s[d * 48 + 4 + n % 2].1 = 3.0 }
        let afternoon = 44 * 48 + 28
        s[afternoon].1 = 3.0
        let reported = run(s).filter { $0.kind == .spike }.map(\.start)
        let expected: [Int64] = [0, 1, 2].map { (n: Int) -> Int64 in s[days[n] * 48 + 4 + n % 2].0 } + [s[afternoon].0]
        #expect(reported == expected)
        var config = DetectorConfig()
        config.spike.habitHours = 0
        #expect(run(s, config: config).filter { $0.kind == .spike }.count == 3)
    }

    @Test func onALivelyHouseholdAValueFarAboveItsNightsIsASpikeUnlessItsNightsHadOneLately() {
        // Nights at 0.05 to 0.2 kWh, days 0.05 or 1.0: a lively household whose 99th percentile is 1.0.
        var state: UInt64 = 3
        func unit() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let lively: [(Int64, Double)] = (0..<(28 * 48)).map { (k: Int) -> (Int64, Double) in
            let night = k % 48 < 12
            let value = night ? 0.05 + 0.15 * unit() : (unit() < 0.5 ? 0.05 : 1.0)
            return (1_767_225_600 + Int64(k) * 1800, (value * 1000).rounded() / 1000)
        }
        // 1.9 kWh at 02:00 is under twice the 99th percentile but nine times anything its nights do;
        // after a 1.0 kWh half-hour at 02:30 two nights before, only twice.
        let k = 27 * 48 + 4
        for neighbour in [false, true] {
            var s = lively
            s[k].1 = 1.9
            if neighbour { s[25 * 48 + 5].1 = 1.0 }
            let spikes = run(s).filter { $0.kind == .spike && $0.start == s[k].0 }
            #expect(spikes.count == (neighbour ? 0 : 1), "after a neighbour: \(neighbour)")
        }
    }

    @Test func onALivelyHouseholdAValueFarAboveAnythingItDoesIsASpikeWhateverItsSlotsSpread() {
        // An appliance on one day and off the next at every hour: each slot's values are 0.05 or
        // 1.0 kWh, so its spread is wide and a robust z stays under 2 even for a tall value.
        let lively: [(Int64, Double)] = (0..<(28 * 48)).map { (k: Int) -> (Int64, Double) in
            let value: Double = (k / 48) % 2 == 0 ? 0.05 : 1.0
            return (1_767_225_600 + Int64(k) * 1800, value)
        }
        let k = 27 * 48 + 10
        for (value, reported) in [(2.8, true), (2.2, false)] {
            var s = lively
            s[k].1 = value
            let spikes = run(s).filter { $0.kind == .spike }
            let expected: [Int64] = reported ? [s[k].0] : []
            #expect(spikes.map { $0.start } == expected, "\(value) kWh")
            if reported { #expect(spikes.first.map { $0.score > 1 && $0.score < 2 } == true) }
        }
    }

    @Test func aNewSlotIsJudgedByItsLastValuesWhateverTheDayUntilItsDayTypeHoldsThree() {
        var profile = SlotProfile(memory: 8, epsilon: 0.02, sigmaFloor: 0)
        profile.prepare(interval: 1800)
        // Nine weekdays at slot 3 (the ring keeps the last 8: 2...9), then weekends 20, 21, 22.
        for x in 1...9 { profile.learn(logValue: Double(x), slot: 3, weekend: false) }
        #expect(profile.baseline(slot: 3, weekend: true)?.median == 5.5)
        profile.learn(logValue: 20, slot: 3, weekend: true)
        profile.learn(logValue: 21, slot: 3, weekend: true)
        // 2...9, 20, 21: the slot's last ten values, whatever the day.
        #expect(profile.baseline(slot: 3, weekend: true)?.median == 6.5)
        #expect(profile.neighbourhoodMax(slot: 3, weekend: true) == exp(21) - 0.02)
        profile.learn(logValue: 22, slot: 3, weekend: true)
        #expect(profile.baseline(slot: 3, weekend: true)?.median == 21)
        #expect(profile.baseline(slot: 3, weekend: false)?.median == 5.5)
        #expect(profile.baseline(slot: 4, weekend: false) == nil)
    }

    @Test func slotProfileMediansAndSpreadsAreThoseOfTheLastValues() {
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 40) / 4096 - 2 // repeats happen, as they do in metered values
        }
        func naive(_ v: [Double]) -> (Double, Double) {
            func median(_ x: [Double]) -> Double { let s = x.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
            let m = median(v)
            return (m, median(v.map { abs($0 - m) }))
        }
        var profile = SlotProfile(memory: 8, epsilon: 0.02, sigmaFloor: 0)
        profile.prepare(interval: 1800)
        var held: [Double] = []
        for n in 1...200 {
            let x = n % 17 == 0 ? held.last ?? 0 : next()
            profile.learn(logValue: x, slot: 5, weekend: false)
            held = Array((held + [x]).suffix(8))
            let got = profile.baseline(slot: 5, weekend: false)
            if held.count < 3 { #expect(got == nil); continue }
            let (m, mad) = naive(held)
            #expect(got?.median == m && got?.sigma == 1.4826 * mad)
            #expect(profile.neighbourhoodMax(slot: 5, weekend: false) == exp(held.max() ?? 0) - 0.02)
        }
        // Even and odd counts alike, through the one-pass MAD on ordered values.
        for n in 1...12 {
            let v = (0..<n).map { _ in next() }
            let (m, mad) = v.sorted().withUnsafeBufferPointer { RingBuffer.medianAndMAD(sorted: $0) }
            #expect((m, mad) == naive(v))
        }
        // A full ring (eight values) has a path of its own: many rings, ties included.
        for trial in 0..<2_000 {
            let v = (0..<8).map { _ in trial % 3 == 0 ? (next() * 4).rounded() / 4 : next() }
            let (m, mad) = v.sorted().withUnsafeBufferPointer { RingBuffer.medianAndMAD(sorted: $0) }
            #expect((m, mad) == naive(v))
        }
    }

    @Test func aWindowsSecondExtremesCountRepeatsAndEveryLength() {
        // What the hold detector's quick test reads: against a sort, for every length from empty to
        // past a few lanes, with repeated values (a held window) and values in any order.
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 40 % 1000) / 1000
        }
        for n in 0...53 {
            for trial in 0..<40 {
                let v = (0..<n).map { _ in trial % 4 == 0 ? (next() * 3).rounded() : trial % 4 == 1 ? 0.25 : next() - 0.5 }
                let s = v.sorted()
                let (low, high) = v.withUnsafeBufferPointer(RingBuffer.secondExtremes)
                #expect(low == (n >= 2 ? s[1] : .infinity), "length \(n)")
                #expect(high == (n >= 2 ? s[n - 2] : -.infinity), "length \(n)")
            }
        }
    }

    @Test func sketchQuantilesAreWithinABinFromEitherEnd() {
        var sketch = QuantileSketch()
        let values = (1...1000).map { Double(($0 * 389) % 1000 + 1) / 100 } // 0.01 to 10 kWh, shuffled
        for v in values { sketch.add(v) }
        // The same decay by hand: every 256th value ages all before it.
        let f = pow(0.9995, 256.0)
        let weights = values.indices.map { p in pow(f, Double((values.count / 256) - ((p + 1) / 256))) }
        let ordered = zip(values, weights).sorted { $0.0 < $1.0 }
        let total = weights.reduce(0, +)
        for q in [0.001, 0.01, 0.16, 0.5, 0.84, 0.99, 0.998] {
            var acc = 0.0
            let truth = ordered.first { acc += $0.1; return acc >= q * total }?.0 ?? 0
            let got = sketch.quantile(q) ?? 0
            #expect(got >= truth * 0.999 && got <= truth * 1.045, "q \(q): \(got) for \(truth)")
        }
    }

    @Test func aValleyIsFarBelowAnythingTheMeterDoesAndAHomeAtItsFloorHasNone() {
        var s = profile(days: 28)
        let k = 27 * 48 + 20 // 10:00 on day 28, a 0.6 kWh slot
        s[k].1 = 0.01
        let found = run(s).filter { $0.kind == .valley }
        #expect(found.count == 1)
        #expect(found.first?.start == s[k].0 && found.first?.detectedAt == s[k + 1].0)
        #expect((found.first?.expected ?? 0) > 0.5 && found.first?.observed == 0.01)
        // The same dip on a home whose readings touch 0.01 for an interval now and then, at any hour.
        var floor = s
        for d in stride(from: 1, to: 27, by: 2) { floor[d * 48 + (d * 7) % 48].1 = 0.01 }
        #expect(run(floor).filter { $0.kind == .valley && $0.start == s[k].0 }.isEmpty)
    }

    @Test func aValueUnderHalfTheMetersFloorIsAValleyEvenWhereItsSlotIsLow() {
        var s = profile(days: 28)
        let k = 27 * 48 + 6 // 03:00 on day 28, a 0.2 kWh night slot whose 1st percentile is about 0.18
        s[k].1 = 0.05 // a quarter of what is expected: not a fifth, but under half of anything the meter does
        let found = run(s).filter { $0.kind == .valley }
        #expect(found.map(\.start) == [s[k].0])
        #expect((found.first?.expected ?? 0) > 0.15)
    }

    @Test func valleysWithinADayOfTheLastAreOneEpisode() {
        var s = profile(days: 35)
        // A home left with only its fridge: three dips in one day (which teach the meter that level),
        // then two days later one deeper than anything it has done.
        let dips = [28 * 48 + 20, 28 * 48 + 30, 29 * 48 + 10, 31 * 48 + 20]
        for k in dips { s[k].1 = 0.01 }
        s[dips[3]].1 = 0.002
        #expect(run(s).filter { $0.kind == .valley }.map(\.start) == [dips[0], dips[3]].map { s[$0].0 })
        var config = DetectorConfig()
        config.spike.valleyEpisode = 0
        #expect(run(s, config: config).filter { $0.kind == .valley }.count == dips.count)
    }

    @Test func aLastingRiseIsNotASpike() {
        var s = profile(days: 21)
        for k in (20 * 48 + 4)..<(20 * 48 + 10) { s[k].1 = 3.0 } // three hours of heater
        #expect(run(s).filter { $0.kind == .spike }.isEmpty)
    }

    @Test func aHoldOpensWithinTwelveHoursAndClosesWhenTheMeterMovesAgain() {
        var s = profile(days: 21)
        let from = 14 * 48, to = from + 4 * 48
        for k in from..<to { s[k].1 = 0.5 }
        let holds = run(s).filter { $0.kind == .flatline }
        #expect(holds.count == 1)
        let h = holds[0]
        #expect(h.start == s[from].0)
        #expect(h.detectedAt - h.start <= 12 * 3600)
        #expect(abs(Double(h.end - s[to].0)) <= 3600)
        #expect(h.severity == .critical && !h.open)
        // A stray low value in the hold's first hours is part of the hold, not a valley of its own.
        var stray = s
        stray[from + 3].1 = 0.01
        #expect(run(stray).filter { $0.kind == .flatline }.count == 1)
        #expect(run(stray).filter { $0.kind == .valley }.isEmpty)
    }

    @Test func aQuietNightAtTheFloorIsNotAHoldButAStillOrLowerLevelIs() {
        // Fifteen hours at the base load (the night slots' 0.2 kWh), moving by a watt-hour or two as a fridge cycles.
        var s = profile(days: 21)
        for k in (14 * 48)..<(14 * 48 + 30) { s[k].1 = [0.2, 0.201, 0.199, 0.202][k % 4] }
        #expect(run(s).filter { $0.kind == .flatline }.isEmpty)
        // The same hours at exactly one value, or under anything the home's base load does: held.
        for level in [[0.2], [0.12, 0.121, 0.12, 0.119]] {
            for k in (14 * 48)..<(14 * 48 + 30) { s[k].1 = level[k % level.count] }
            #expect(run(s).filter { $0.kind == .flatline }.map(\.start) == [s[14 * 48].0], "\(level)")
        }
    }

    /// Every report a series causes, in order (opening, updates while open, closing).
    func reports(_ series: [(Int64, Double)], config: DetectorConfig = DetectorConfig()) -> [Anomaly] {
        var set = DetectorSet(config: config)
        var out: [Anomaly] = []
        for (t, v) in series { out += set.observe(meter: meter, source: source, start: t, value: v, interval: 1800) }
        return out + set.finish()
    }

    @Test func anOpenHoldOrZeroRunIsReportedAgainAsItGrows() {
        var s = profile(days: 21)
        let from = 14 * 48, to = from + 3 * 48
        for k in from..<to { s[k].1 = 0.5 }
        for k in (18 * 48)..<(18 * 48 + 12) { s[k].1 = 0 }
        for kind in [AnomalyKind.flatline, .zeroRun] {
            let seen = reports(s).filter { $0.kind == kind }
            let open = seen.filter(\.open)
            // Opened, then again every hour of readings while open, then closed.
            #expect(open.count >= (kind == .flatline ? 60 : 4), "\(kind): \(open.count) open reports")
            #expect(Set(seen.map(\.id)).count == 1 && seen.last?.open == false)
            #expect(zip(open, open.dropFirst()).allSatisfy { $0.end < $1.end && $0.score <= $1.score })
            // The last open version tells how long it has lasted so far.
            let last = open.last
            let hours = Double((last?.end ?? 0) - (last?.start ?? 0)) / 3600
            #expect(last?.detail.contains(String(format: "%.1f h", hours)) == true, "\(last?.detail ?? "")")
            var quiet = DetectorConfig()
            quiet.refreshOpen = 0
            #expect(reports(s, config: quiet).filter { $0.kind == kind }.count == 2)
        }
    }

    @Test func aLiveSetReportsTheSameAndRemembersOnlyWhatIsOpen() {
        // Five meters of a source over 40 days: spikes, a hold, zero runs, an outage (its zero runs folded into it).
        let meters = (1...5).compactMap { MeterID("L\($0)") }
        var series = meters.indices.map { profile(days: 40, seed: UInt64($0 + 1)) }
        for d in stride(from: 15, to: 40, by: 3) { series[0][d * 48 + 4].1 = 4.0 }
        for k in (20 * 48)..<(24 * 48) { series[1][k].1 = 0.5 }
        for k in (30 * 48)..<(30 * 48 + 10) { series[2][k].1 = 0 }
        for m in series.indices { for k in (35 * 48)..<(35 * 48 + 12) { series[m][k].1 = 0 } }
        var history = DetectorSet(), live = DetectorSet(keepsHistory: false)
        var kept: [Anomaly] = [], sent: [Anomaly] = []
        var mostRemembered = 0
        for k in series[0].indices {
            for (m, s) in series.enumerated() {
                kept += history.observe(meter: meters[m], source: source, start: s[k].0, value: s[k].1, interval: 1800)
                sent += live.observe(meter: meters[m], source: source, start: s[k].0, value: s[k].1, interval: 1800)
                mostRemembered = max(mostRemembered, live.remembered)
            }
        }
        kept += history.finish()
        sent += live.finish()
        #expect(sent == kept)
        #expect(Set(kept.map(\.kind)).isSuperset(of: [.spike, .flatline, .zeroRun, .outage]), "\(Set(kept.map(\.kind)))")
        #expect(history.remembered >= 2 * history.anomalies.count && history.anomalies.count >= 8)
        #expect(live.anomalies.isEmpty && live.remembered == 0)
        // At most what is open at once (in the outage: it, and each meter's zero run and level change folded into it).
        #expect(mostRemembered <= 2 * meters.count + 1, "\(mostRemembered)")
        #expect(live.counts == history.counts)
    }

    @Test func aBatchIsReportedAsItsReadingsOneAtATime() {
        // Twelve meters over 30 days, with spikes, a hold and zeros; two meters join on day 10, mid-batch.
        let meters = (1...12).compactMap { MeterID("K\($0)") }
        var series = meters.indices.map { profile(days: 30, seed: UInt64($0 + 7)) }
        for d in stride(from: 12, to: 30, by: 4) { series[3][d * 48 + 5].1 = 5.0 }
        for k in (18 * 48)..<(21 * 48) { series[6][k].1 = 0.7 }
        for k in (25 * 48)..<(25 * 48 + 9) { series[9][k].1 = 0 }
        var single = DetectorSet(keepsHistory: false), batched = DetectorSet(keepsHistory: false)
        var one: [Anomaly] = [], many: [Anomaly] = []
        for k in series[0].indices {
            let present = meters.indices.filter { $0 < 10 || k >= 10 * 48 }
            for m in present { one += single.observe(meter: meters[m], source: source, start: series[m][k].0, value: series[m][k].1, interval: 1800) }
            many += batched.observe(present.map { DetectorSet.Sighting(meter: meters[$0], source: source, start: series[$0][k].0, value: series[$0][k].1) },
                                    interval: 1800)
        }
        #expect(!one.isEmpty && Set(one.map(\.kind)).isSuperset(of: [.spike, .flatline, .zeroRun]), "\(Set(one.map(\.kind)))")
        #expect(many == one)
    }

    @Test(arguments: [1, 2, 3])
    func batchesOfManyIntervalsReportAsTheirReadingsOneAtATime(seed: UInt64) {
        // Three sources over 24 days with spikes, holds, zero runs, a source's outage, a meter's silence,
        // readings sent again late, a meter that joins mid-way, and the stream cut into batches of any
        // size: a batch takes each meter's readings together before the fleet's judgement, and must
        // report exactly what the readings taken one at a time report, in the same order.
        var rng = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(n))
        }
        let ids = ["A", "B", "C"].flatMap { s in (1...6).compactMap { MeterID("\(s)\($0)") } }
        let sourceOf = ids.map { SourceID(String($0.rawValue.prefix(1))) }
        var series = ids.indices.map { profile(days: 24, seed: seed &* 31 &+ UInt64($0)) }
        for m in series.indices {
            for d in stride(from: 8 + next(4), to: 24, by: 3 + next(3)) { series[m][d * 48 + next(48)].1 = 3 + Double(next(4)) }
            for d in stride(from: 9 + next(5), to: 24, by: 5 + next(4)) { series[m][d * 48 + next(48)].1 = 0.01 }
        }
        for k in (12 * 48)..<(15 * 48) { series[2][k].1 = 0.6 }
        for k in (16 * 48 + 3)..<(16 * 48 + 8) { series[2][k].1 = 0.6 }
        for k in (18 * 48)..<(18 * 48 + 9) { series[4][k].1 = 0 }
        for m in 0..<6 { for k in (20 * 48)..<(20 * 48 + 10) { series[m][k].1 = 0 } }
        var stream: [DetectorSet.Sighting] = []
        for k in series[0].indices {
            // Now and then the meters come in another order (a batch guesses a reading's meter from
            // the order of the batch before).
            let order = next(6) == 0 ? Array(ids.indices.reversed()) : next(6) == 0 ? ids.indices.map { ($0 * 5) % ids.count } : Array(ids.indices)
            for m in order {
                if m == 9, k >= 14 * 48, k < 14 * 48 + 30 { continue }
                if m == 17, k < 6 * 48 { continue }
                stream.append(DetectorSet.Sighting(meter: ids[m], source: sourceOf[m], start: series[m][k].0, value: series[m][k].1))
                if next(40) == 0, k > 2 {
                    let back = k - 1 - next(2)
                    stream.append(DetectorSet.Sighting(meter: ids[m], source: sourceOf[m], start: series[m][back].0, value: series[m][back].1))
                }
            }
        }
        var single = DetectorSet(keepsHistory: false), batched = DetectorSet(keepsHistory: false)
        var one: [Anomaly] = [], many: [Anomaly] = []
        for r in stream { one += single.observe(meter: r.meter, source: r.source, start: r.start, value: r.value, interval: 1800) }
        var low = 0
        while low < stream.count {
            let high = min(stream.count, low + 1 + next(next(4) == 0 ? 4_000 : 300))
            many += batched.observe(Array(stream[low..<high]), interval: 1800)
            low = high
        }
        one += single.finish()
        many += batched.finish()
        #expect(Set(one.map(\.kind)).isSuperset(of: [.spike, .flatline, .zeroRun, .outage, .communicationGap]), "\(Set(one.map(\.kind)))")
        #expect(many.count == one.count)
        let first = many.indices.first { $0 < one.count && many[$0] != one[$0] }
        #expect(first == nil, "first difference at \(first ?? -1): \(first.map { many[$0] }.map(String.init(describing:)) ?? "") against \(first.map { one[$0] }.map(String.init(describing:)) ?? "")")
        #expect(batched.counts == single.counts)
    }

    /// Five meters of source A and three of source B over four days, every report in order;
    /// `reporting` says whether a meter sends its reading of slot k.
    func fleet(_ reporting: (String, Int) -> Bool) -> [Anomaly] {
        var set = DetectorSet()
        let a = (1...5).compactMap { MeterID("A\($0)") }, b = (1...3).compactMap { MeterID("B\($0)") }
        let sourceB = SourceID("B") ?? .unassigned
        var out: [Anomaly] = []
        for (k, (t, v)) in profile(days: 4).enumerated() {
            for m in a where reporting(m.rawValue, k) { out += set.observe(meter: m, source: source, start: t, value: v, interval: 1800) }
            for m in b where reporting(m.rawValue, k) { out += set.observe(meter: m, source: sourceB, start: t, value: v, interval: 1800) }
        }
        return out + set.finish()
    }

    @Test func aMeterThatStopsReportingIsAGapWhileItIsSilentNotOnlyWhenItReturns() {
        // A3 sends nothing from slot 100 to slot 139 (20 hours) while the others report.
        let out = fleet { m, k in !(m == "A3" && k >= 100 && k < 140) }.filter { $0.kind == .communicationGap }
        let t = { (k: Int) in Int64(1_767_225_600) + Int64(k) * 1800 }
        #expect(Set(out.map(\.id)).count == 1 && out.allSatisfy { $0.meter?.rawValue == "A3" })
        let first = out.first
        // Seen when the fourth interval is missing (the clock at slot 104), open, from slot 100.
        #expect(first?.open == true && first?.start == t(100) && first?.detectedAt == t(104) && first?.end == t(104))
        // Reported again every hour while silent, then closed by the meter's return at slot 140.
        #expect(out.filter(\.open).count >= 18)
        #expect(out.last?.open == false && out.last?.end == t(140) && out.last?.observed == 40)
        #expect(out.last?.detail == "40 intervals (20.0 h) without a reading")
    }

    @Test func aWholeSourceFallingSilentIsOneGapOfTheSource() {
        // Every meter of A sends nothing from slot 100 to 139; B reports throughout.
        let out = fleet { m, k in !(m.hasPrefix("A") && k >= 100 && k < 140) }.filter { $0.kind == .communicationGap }
        #expect(out.allSatisfy { $0.meter == nil && $0.source == source }, "\(out.map(\.id))")
        #expect(Set(out.map(\.id)).count == 1 && out.first?.open == true && out.last?.open == false)
        #expect(out.last?.detail == "40 intervals (20.0 h) without readings from any meter of source A")
        // A meter already silent before its source fell silent keeps its own gap.
        let own = fleet { m, k in !(m.hasPrefix("A") && k >= 100 && k < 140) && !(m == "A2" && k >= 90 && k < 140) }
            .filter { $0.kind == .communicationGap }
        #expect(Set(own.map(\.id)).count == 2 && own.contains { $0.meter?.rawValue == "A2" && !$0.open })
    }

    @Test func aSourceSilentSinceARestartIsOneGapOfTheSource() {
        // A restarted set replays source A's five meters and source B's three up to day 3; then only
        // B reports. A has been silent since the restart: one gap of the source, none per meter.
        var set = DetectorSet(keepsHistory: false)
        let a = (1...5).compactMap { MeterID("A\($0)") }, b = (1...3).compactMap { MeterID("B\($0)") }
        let sourceB = SourceID("B") ?? .unassigned
        let series = profile(days: 4)
        for m in a { for (t, v) in series[..<(3 * 48)] { set.replay(meter: m, source: source, start: t, value: v, interval: 1800) } }
        for m in b { for (t, v) in series[..<(3 * 48)] { set.replay(meter: m, source: sourceB, start: t, value: v, interval: 1800) } }
        var out: [Anomaly] = []
        for (t, v) in series[(3 * 48)...] { for m in b { out += set.observe(meter: m, source: sourceB, start: t, value: v, interval: 1800) } }
        let gaps = out.filter { $0.kind == .communicationGap }
        #expect(!gaps.isEmpty && gaps.allSatisfy { $0.meter == nil && $0.source == source }, "\(Set(gaps.map(\.id)))")
        #expect(gaps.first?.start == series[3 * 48].0)
    }

    @Test func aSourceThatUploadsOnceADayIsLateOnlyWhenAnUploadIsMissed() {
        // A streams; B's three meters upload each day's readings at the day's end, except that
        // day 4's upload is missed and comes with day 5's.
        var set = DetectorSet()
        let a = (1...5).compactMap { MeterID("A\($0)") }, b = (1...3).compactMap { MeterID("B\($0)") }
        let sourceB = SourceID("B") ?? .unassigned
        let series = profile(days: 7)
        var out: [Anomaly] = []
        for day in 0..<7 {
            for (t, v) in series[(day * 48)..<((day + 1) * 48)] {
                for m in a { out += set.observe(meter: m, source: source, start: t, value: v, interval: 1800) }
            }
            guard day != 4 else { continue }
            for (t, v) in series[((day == 5 ? 4 : day) * 48)..<((day + 1) * 48)] {
                for m in b { out += set.observe(meter: m, source: sourceB, start: t, value: v, interval: 1800) }
            }
        }
        let gaps = out.filter { $0.kind == .communicationGap }
        let day = { (d: Int) in Int64(1_767_225_600) + Int64(d) * 86_400 }
        // One silence of source B, none of its meters or of A: the missed upload, seen 36 hours after
        // B's last reading (its first upload already came a day behind), closed as late.
        #expect(Set(gaps.map(\.id)) == ["communication_gap:B:\(day(4))"], "\(Set(gaps.map(\.id)))")
        let missed = gaps.filter { $0.start == day(4) }
        #expect(missed.first?.open == true && missed.first.map { $0.detectedAt >= day(4) + 34 * 3600 } == true, "\(missed.map { ($0.detectedAt - day(4)) / 1800 })")
        #expect(missed.last?.open == false && missed.last?.observed == 0)
        #expect(missed.last?.detail.contains("came") == true && missed.last?.detail.contains("none missing") == true, "\(missed.last?.detail ?? "")")
    }

    @Test func aCorrectionOfAnOldReadingIsNotNewsToTheDetectors() {
        let s = profile(days: 21)
        var set = DetectorSet()
        var out: [Anomaly] = []
        for (t, v) in s { _ = set.observe(meter: meter, source: source, start: t, value: v, interval: 1800) }
        // Day 10 sent again, corrected to 3 kWh at 02:00: stored as a correction, but not a spike now.
        for (k, (t, v)) in s[(10 * 48)..<(11 * 48)].enumerated() {
            out += set.observe(meter: meter, source: source, start: t, value: k == 4 ? 3.0 : v, interval: 1800)
        }
        #expect(out.isEmpty, "\(out.map(\.id))")
        // The same value as the next live reading, at 02:00 on day 21, is one.
        let next = s[s.count - 1].0 + 1800 * 5
        out += set.observe(meter: meter, source: source, start: next, value: 3.0, interval: 1800)
        out += set.observe(meter: meter, source: source, start: next + 1800, value: 0.2, interval: 1800)
        #expect(out.filter { $0.kind == .spike }.map(\.start) == [next], "\(out.map(\.id))")
    }

    @Test func anEventReportedOpenBeforeItsCauseWasKnownIsClosedNotLeftOpen() {
        // The meter drops to a still 0.05 kWh for three days: a level change opens within the hour,
        // the hold that explains it is certain hours later and folds it.
        var s = profile(days: 21)
        for k in (17 * 48)..<(20 * 48) { s[k].1 = 0.05 }
        var set = DetectorSet(keepsHistory: false)
        var out: [Anomaly] = []
        for (t, v) in s { out += set.observe(meter: meter, source: source, start: t, value: v, interval: 1800) }
        out += set.finish()
        let hold = out.filter { $0.kind == .flatline }
        let shift = out.filter { $0.kind == .levelShift && $0.start >= s[17 * 48].0 && $0.start < s[18 * 48].0 }
        #expect(!hold.isEmpty && shift.first?.open == true, "\(out.map(\.id))")
        // Its last report closes it: a store that kept its first report does not keep it open.
        #expect(Set(shift.map(\.id)).count == 1 && shift.last?.open == false)
        #expect(shift.last?.detail.hasSuffix("; explained by the meter's hold") == true && shift.last?.detail.contains("so far") == false,
                "\(shift.last?.detail ?? "")")
        #expect(set.remembered == 0)
    }

    @Test func anOpenOutageIsReportedAgainAsItGrows() {
        var set = DetectorSet()
        let meters = (1...5).compactMap { MeterID("S\($0)") }
        var out: [Anomaly] = []
        for (k, (t, v)) in profile(days: 10).enumerated() {
            for m in meters {
                let shed = k >= 8 * 48 && k < 8 * 48 + 12
                out += set.observe(meter: m, source: source, start: t, value: shed ? 0 : v, interval: 1800)
            }
        }
        let outages = out.filter { $0.kind == .outage }
        #expect(outages.count == 1 + 5 + 1, "\(outages.map(\.detail))")
        #expect(outages.dropLast().allSatisfy(\.open) && outages.last?.open == false)
        #expect(outages[outages.count - 2].detail == "source A at zero for 5.5 h so far (up to 5 meters together)")
        #expect(outages.last?.detail == "source A at zero for 6.0 h (up to 5 meters together)")
    }

    @Test func zerosOnOneMeterAreAZeroRunAndOnASourceAreOneOutage() {
        var single = profile(days: 10)
        for k in (8 * 48)..<(8 * 48 + 10) { single[k].1 = 0 }
        let runs = run(single).filter { $0.kind == .zeroRun }
        #expect(runs.count == 1 && runs[0].start == single[8 * 48].0 && runs[0].end == single[8 * 48 + 10].0)
        // Five meters of one source at zero together: one outage, no zero runs.
        var set = DetectorSet()
        let meters = (1...5).compactMap { MeterID("S\($0)") }
        for (k, (t, v)) in profile(days: 10).enumerated() {
            for m in meters {
                let shed = k >= 8 * 48 && k < 8 * 48 + 12
                set.observe(meter: m, source: source, start: t, value: shed ? 0 : v, interval: 1800)
            }
        }
        _ = set.finish()
        let events = set.anomalies
        #expect(events.filter { $0.kind == .outage }.count == 1)
        #expect(events.filter { $0.kind == .zeroRun }.isEmpty)
        let outage = events.first { $0.kind == .outage }
        #expect(outage?.source == source && outage?.meter == nil && outage?.end == 1_767_225_600 + Int64(8 * 48 + 12) * 1800)
    }

    @Test func gapsLevelShiftsAndRegisters() {
        var s = profile(days: 40)
        s.removeSubrange((10 * 48)..<(10 * 48 + 8))
        for k in (30 * 48 - 8)..<s.count { s[k].1 *= 3 }
        let events = run(s)
        let gap = events.first { $0.kind == .communicationGap }
        #expect(gap?.observed == 8)
        #expect(events.contains { $0.kind == .levelShift && $0.observed > 2 * $0.expected })
        var set = DetectorSet()
        set.observeRegister(meter: meter, source: source, start: 0, value: 500, interval: 1800)
        set.observeRegister(meter: meter, source: source, start: 1800, value: 480, interval: 1800)
        set.observeRegister(meter: meter, source: source, start: 3600, value: 0.2, interval: 1800)
        set.observeRegister(meter: meter, source: source, start: 5400, value: 99_999, interval: 1800)
        set.observeRegister(meter: meter, source: source, start: 7200, value: 3, interval: 1800) // rollover: no event
        #expect(set.anomalies.map(\.kind) == [.registerReversal, .registerReset])
    }

    @Test func scoringMatchesTruthPerKind() {
        let truth = [TruthEvent(kind: .spike, meter: meter, source: nil, start: 0, end: 1800),
                     TruthEvent(kind: .spike, meter: meter, source: nil, start: 3600, end: 5400)]
        let found = Anomaly(kind: .spike, meter: meter, source: nil, start: 0, end: 1800, detectedAt: 1800, severity: .warning,
                            score: 9, expected: 1, observed: 9, detail: "")
        var wrong = found
        wrong.start = 9000
        wrong.end = 10_800
        let s = DetectionScoring.score(truth: truth, detections: [found, wrong], kinds: [.spike])[0]
        #expect(s.recall == 0.5 && s.precision == 0.5 && s.medianDelay == 1800)
        // The same wrong detection where the untouched data had a spike of its own is counted apart:
        // not against precision, only against the strict one; a known event of another kind excuses nothing.
        var own = wrong
        own.start = 8100
        own.end = 9900
        var other = own
        other.kind = .valley
        let k = DetectionScoring.score(truth: truth, detections: [found, wrong], kinds: [.spike], known: [own])[0]
        #expect(k.known == 1 && k.precision == 1 && k.strictPrecision == 0.5 && k.recall == 0.5)
        let n = DetectionScoring.score(truth: truth, detections: [found, wrong], kinds: [.spike], known: [other])[0]
        #expect(n.known == 0 && n.precision == 0.5)
    }

    @Test func nabRulesStandardProfile() {
        let nab = NABScorer()
        let w = [1000...1099]
        // Nothing detected: minus one per window; the window's first point: plus one.
        #expect(nab.rawScore(count: 5000, windows: w, detections: []) == -1)
        #expect(abs(nab.rawScore(count: 5000, windows: w, detections: [1000]) - 1) < 1e-9)
        // The window's last point scores nothing; a detection before any window costs the full 0.11.
        #expect(abs(nab.rawScore(count: 5000, windows: w, detections: [1099])) < 0.03)
        #expect(abs(nab.rawScore(count: 5000, windows: w, detections: [800, 1000]) - 0.89) < 1e-9)
        // The probationary first 15% (at most 750 points) is not scored.
        #expect(abs(nab.rawScore(count: 5000, windows: w, detections: [10, 1000]) - 1) < 1e-9)
        let (null, perfect) = nab.bounds(count: 5000, windows: w)
        #expect(NABScorer.normalised(raw: 1, null: null, perfect: perfect) == 100)
        #expect(NABScorer.normalised(raw: -1, null: null, perfect: perfect) == 0)
    }
}

/// The profile-deviation detector on its own.
struct ProfileDeviationTests {
    let meter = MeterID("M1") ?? MeterID.unknown

    /// Three weeks of a meter's usual day, then `raised` readings from 10:00 of the last day at
    /// twice their usual value; the level changes it reports.
    func deviations(interval: Int64, raised: Int) -> [Anomaly] {
        var detector = ProfileDeviationDetector()
        var out: [Anomaly] = []
        let perDay = Int(86_400 / interval)
        let onset = 21 * perDay + Int(36_000 / interval)
        for k in 0..<(22 * perDay) {
            let slot = k % perDay
            let hour = Double(slot) * Double(interval) / 3600
            let usual = hour < 7 ? 0.2 : hour < 17 ? 0.6 : 1.2
            let wobble = 1 + 0.01 * sin(Double(k) * 1.7)
            let v = (k >= onset && k < onset + raised ? 2 : 1) * usual * wobble
            detector.observe(Observation(meter: meter, source: nil, start: 1_767_225_600 + Int64(k) * interval, value: v,
                                         interval: interval, slotOfDay: slot, weekend: false), into: &out)
        }
        return out.filter { $0.kind == .levelShift }
    }

    @Test func aLevelChangeTakesThreeReadingsInARowWhateverTheInterval() {
        // Two hourly readings are not yet a lasting change; a third is. Half-hourly, the third too.
        #expect(deviations(interval: 3600, raised: 2).isEmpty)
        let hourly = deviations(interval: 3600, raised: 4)
        #expect(hourly.first.map { $0.detectedAt - $0.start } == 7200, "\(hourly.map(\.detail))")
        let halfHourly = deviations(interval: 1800, raised: 4)
        #expect(halfHourly.first.map { $0.detectedAt - $0.start } == 3600, "\(halfHourly.map(\.detail))")
        // Five-minute readings still need half an hour.
        let fine = deviations(interval: 300, raised: 12)
        #expect(fine.first.map { $0.detectedAt - $0.start } == 1800, "\(fine.map(\.detail))")
    }
}
