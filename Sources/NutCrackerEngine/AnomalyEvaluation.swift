import Foundation
import MeterAnalytics
import MeterCore
import MeterIngest

/// The evaluation harness of the detectors against ground truth: the simulated fleet with the
/// defects it injects, and real households with anomalies injected at random places.
public enum AnomalyEvaluation {
    /// Days at the start of a series the detectors spend learning its profile; events there are not scored.
    public static let learningDays = 7

    /// The simulated fleet for `days` days: its outliers, tampering and load shedding are the truth.
    public static func simulatedFleet(days: Int, metersPerSource: Int = 10, seed: UInt64 = 42,
                                      start: Int64 = 1_767_225_600) -> (scores: [KindScore], anomalies: [Anomaly], truth: [TruthEvent]) {
        var config = FleetConfig()
        config.seed = seed
        config.metersPerSource = metersPerSource
        var fleet = FleetSimulator(config)
        var detectors = DetectorSet()
        let step = config.interval.seconds
        var lastRegister: [MeterID: Double] = [:]
        var lastStart: [MeterID: Int64] = [:]
        var registerAt: [MeterID: Int64] = [:]
        for k in 0..<(days * 86_400 / Int(step)) {
            let t = start + Int64(k) * step
            for r in fleet.rows(forSlotStarting: t) {
                guard let v = r.value, lastStart[r.meter.id] != t else { continue }
                lastStart[r.meter.id] = t
                if r.meter.kind == .register {
                    // Register reads to intervals as VEE does: differences, a rollover at the register size,
                    // a missed read's energy spread evenly over the intervals it covers.
                    detectors.observeRegister(meter: r.meter.id, source: r.meter.source, start: t, value: v, interval: step)
                    defer { lastRegister[r.meter.id] = v; registerAt[r.meter.id] = t }
                    guard let prev = lastRegister[r.meter.id], let at = registerAt[r.meter.id] else { continue }
                    let kwh = v >= prev ? v - prev : v + config.registerSize - prev
                    let n = max(1, (t - at) / step)
                    for j in 0..<n {
                        detectors.observe(meter: r.meter.id, source: r.meter.source, start: at + (j + 1) * step,
                                          value: (kwh / Double(n) * 1000).rounded() / 1000, interval: step)
                    }
                } else {
                    detectors.observe(meter: r.meter.id, source: r.meter.source, start: t, value: v, interval: step)
                }
            }
        }
        _ = detectors.finish()
        let truth = fleet.injected.compactMap { d -> TruthEvent? in
            switch d.kind {
            case .outlier: TruthEvent(kind: .spike, meter: d.meter, source: nil, start: d.start, end: d.end)
            case .tampering: TruthEvent(kind: .flatline, meter: d.meter, source: nil, start: d.start, end: d.end)
            case .loadShedding: TruthEvent(kind: .outage, meter: nil, source: d.source, start: d.start, end: d.end)
            default: nil
            }
        }
        let anomalies = detectors.anomalies
        let scores = DetectionScoring.score(truth: truth, detections: anomalies, kinds: [.spike, .flatline, .outage],
                                            from: start + Int64(learningDays) * 86_400)
        let from = start + Int64(learningDays) * 86_400
        return (scores, anomalies.filter { $0.start >= from }, truth.filter { $0.start >= from })
    }
}

extension FleetConfig {
    var registerSize: Double { 100_000 }
}

extension AnomalyEvaluation {
    /// Real households with anomalies injected at random places (seeded), each kind only where the
    /// household leaves room for it: spikes (2 to 3.5 times the meter's 99th percentile added to the
    /// value; on meters under 0.1% of whose values reach twice it), dips (a value in the meter's top
    /// quarter cut to 40% of its 1st percentile of non-zero values; on meters under 0.1% of whose
    /// non-zero values are that low), flatlines (72 to 120 hours held at the meter's median, within
    /// 0.3%) and zero runs (4 to 12 hours, on meters under 1% zeros). The same detectors run on the
    /// untouched households give what they really did on their own (`known`): a detection that
    /// matches no injection but one of those is counted apart, and against the strict precision only.
    public static func injectedHouseholds(path: String, seed: UInt64 = 42, perMeter: (spikes: Int, dips: Int, flatlines: Int, zeroRuns: Int) = (12, 12, 2, 3))
        throws -> (scores: [KindScore], anomalies: [Anomaly], truth: [TruthEvent], known: [Anomaly]) {
        let reader = CSVReader(time: TimeOptions(zone: .fixed(seconds: 36_000)))
        let batch = try reader.read(path: path).batch
        var series: [Int32: [(Int64, Double)]] = [:]
        for i in 0..<batch.count where batch.status[i] == .number {
            series[batch.meterIndex[i], default: []].append((batch.start[i], batch.kwh[i]))
        }
        var truth: [TruthEvent] = []
        var rng = SplitMix64(seed: seed, 0x5ECC, 1)
        var streams: [(MeterID, [(Int64, Double)])] = [], untouched: [(MeterID, [(Int64, Double)])] = []
        for (m, raw) in series.sorted(by: { $0.key < $1.key }) {
            let id = batch.meters[Int(m)]
            var s = raw.sorted { $0.0 < $1.0 }
            let n = s.count
            guard n > 2000 else { continue }
            untouched.append((id, s))
            let sortedValues = s.map(\.1).sorted()
            let median = sortedValues[n / 2], upper = sortedValues[n * 3 / 4], p99 = sortedValues[n * 99 / 100]
            let positive = sortedValues.filter { $0 > 0 }
            let p1 = positive.isEmpty ? 0 : positive[positive.count / 100]
            var used = [Bool](repeating: false, count: n)
            let firstAllowed = min(n - 1, 48 * 28) // after four weeks of learning
            func place(_ length: Int, _ accept: (Int) -> Bool = { _ in true }) -> Int? {
                for _ in 0..<200 {
                    let at = firstAllowed + Int(rng.next() % UInt64(max(1, n - firstAllowed - length - 48)))
                    // Clear of other injections by a day either side, on consecutive intervals, and acceptable.
                    let lo = max(0, at - 48), hi = min(n, at + length + 48)
                    guard !used[lo..<hi].contains(true), s[at + length - 1].0 - s[at].0 == Int64(length - 1) * 1800, accept(at) else { continue }
                    for k in lo..<hi { used[k] = true }
                    return at
                }
                return nil
            }
            for _ in 0..<perMeter.flatlines {
                let length = 144 + Int(rng.next() % 97)
                guard let at = place(length) else { continue }
                for k in at..<(at + length) { s[k].1 = (median * (1 + 0.003 * rng.normal()) * 1000).rounded() / 1000 }
                truth.append(TruthEvent(kind: .flatline, meter: id, source: nil, start: s[at].0, end: s[at + length - 1].0 + 1800))
            }
            // A zero run only where zeros are not the meter's habit (under 1% of its values).
            let zeroShare = Double(n - positive.count) / Double(n)
            for _ in 0..<(zeroShare < 0.01 ? perMeter.zeroRuns : 0) {
                let length = 8 + Int(rng.next() % 17)
                guard let at = place(length) else { continue }
                for k in at..<(at + length) { s[k].1 = 0 }
                truth.append(TruthEvent(kind: .zeroRun, meter: id, source: nil, start: s[at].0, end: s[at + length - 1].0 + 1800))
            }
            // A spike needs room above the meter's own peaks: none where 0.1% or more of its values reach
            // twice its 99th percentile (a home whose 2 kWh half-hours come every few days at any hour).
            let tall = n - (sortedValues.firstIndex { $0 >= 2 * p99 } ?? n)
            for _ in 0..<(tall * 1000 < n ? perMeter.spikes : 0) {
                guard let at = place(1) else { continue }
                s[at].1 = ((s[at].1 + p99 * (2 + 1.5 * rng.unit())) * 1000).rounded() / 1000
                truth.append(TruthEvent(kind: .spike, meter: id, source: nil, start: s[at].0, end: s[at].0 + 1800))
            }
            // A dip needs room below the meter's own floor: none where 0.1% or more of the meter's non-zero
            // values are at or under the dip's (a home whose base load sits at the meter's resolution, or
            // below its 1st percentile a few hundred times).
            let dip = max(0.001, (p1 * 0.4 * 1000).rounded(.down) / 1000)
            let atOrUnderDip = positive.prefix { $0 <= dip }.count
            for _ in 0..<(atOrUnderDip * 1000 < positive.count ? perMeter.dips : 0) {
                guard let at = place(1, { s[$0].1 >= upper && s[$0].1 > 0.1 }) else { continue }
                s[at].1 = dip
                truth.append(TruthEvent(kind: .valley, meter: id, source: nil, start: s[at].0, end: s[at].0 + 1800))
            }
            streams.append((id, s))
        }
        // Feed in time order across households, as the engine would; the untouched households the same
        // way, so what they do on their own is known and counted apart.
        func detect(_ streams: [(MeterID, [(Int64, Double)])]) -> (anomalies: [Anomaly], first: Int64) {
            var config = DetectorConfig()
            config.zone = .fixed(seconds: 36_000)
            var detectors = DetectorSet(config: config)
            var merged: [(Int64, Int, Double)] = []
            for (k, (_, s)) in streams.enumerated() { merged += s.map { ($0.0, k, $0.1) } }
            merged.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            for (t, k, v) in merged { detectors.observe(meter: streams[k].0, source: nil, start: t, value: v, interval: 1800) }
            _ = detectors.finish()
            return (detectors.anomalies, merged.first?.0 ?? 0)
        }
        let (all, first) = detect(streams)
        let from = first + 28 * 86_400
        let anomalies = all.filter { $0.start >= from }
        let known = detect(untouched).anomalies.filter { $0.start >= from }
        return (DetectionScoring.score(truth: truth, detections: anomalies, kinds: [.spike, .valley, .flatline, .zeroRun], from: from, known: known),
                anomalies, truth.filter { $0.start >= from }, known)
    }
}

/// One NAB series scored for the detectors and for the windowed Gaussian baseline.
public struct NABFileScore: Sendable, Codable {
    public var file: String
    public var points: Int
    public var windows: Int
    public var detections: Int
    public var raw: Double
    public var normalised: Double?
    public var baselineDetections: Int
    public var baselineRaw: Double
    public var baselineNormalised: Double?
    /// The detectors' events, each with whether its detection fell in a labelled window.
    public var events: [(anomaly: Anomaly, inWindow: Bool)] = []

    enum CodingKeys: String, CodingKey {
        case file, points, windows, detections, raw, normalised, baselineDetections, baselineRaw, baselineNormalised
    }
}

extension AnomalyEvaluation {
    /// The NAB series of a folder (`*.csv` with `timestamp,value`, windows in `combined_windows.json`),
    /// scored with NAB's standard profile for the detector set and for NAB's windowed Gaussian
    /// baseline at the threshold that suits it best over the whole folder. Returns the per-file
    /// scores and the folder's normalised totals.
    public static func nab(folder: String) throws -> (files: [NABFileScore], total: Double, baselineTotal: Double, baselineThreshold: Double) {
        let fm = FileManager.default
        guard let windowsData = fm.contents(atPath: folder + "/combined_windows.json"),
              let windowsJSON = try JSONSerialization.jsonObject(with: windowsData) as? [String: [[String]]] else {
            throw IngestError.unreadable(path: folder + "/combined_windows.json", reason: "no NAB windows file")
        }
        let files = try fm.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".csv") }.sorted()
        let scorer = NABScorer()
        struct Series { var name: String; var times: [Int64]; var values: [Double]; var windows: [ClosedRange<Int>] }
        var all: [Series] = []
        for f in files {
            guard let key = windowsJSON.keys.first(where: { $0.hasSuffix("/" + f) }) else { continue }
            var times: [Int64] = [], values: [Double] = []
            try CSVRecords.forEach(path: folder + "/" + f, delimiter: 0x2C) { row in
                if case .success(let t) = TimestampParser.parse(row[0].text), let v = Double(row[1].text.trimmingCharacters(in: .whitespaces)) {
                    switch t { case .instant(let s), .naive(let s): times.append(s) }
                    values.append(v)
                }
                return true
            }
            let windows = (windowsJSON[key] ?? []).compactMap { pair -> ClosedRange<Int>? in
                guard pair.count == 2, case .success(let a) = TimestampParser.parse(pair[0]), case .success(let b) = TimestampParser.parse(pair[1]) else { return nil }
                let (s, e): (Int64, Int64) = { switch (a, b) { case (.instant(let x), .instant(let y)), (.naive(let x), .naive(let y)), (.instant(let x), .naive(let y)), (.naive(let x), .instant(let y)): (x, y) } }()
                guard let lo = times.firstIndex(where: { $0 >= s }), let hi = times.lastIndex(where: { $0 <= e }), lo <= hi else { return nil }
                return lo...hi
            }
            all.append(Series(name: f, times: times, values: values, windows: windows))
        }
        // The detectors: every event's detection time is one detection.
        var ours: [Set<Int>] = []
        var events: [[(anomaly: Anomaly, inWindow: Bool)]] = []
        for s in all {
            var steps: [Int64: Int] = [:]
            for (a, b) in zip(s.times, s.times.dropFirst()) where b > a { steps[b - a, default: 0] += 1 }
            let interval = steps.max { $0.value < $1.value }?.key ?? 300
            var set = DetectorSet()
            let meter = MeterID("nab") ?? MeterID.unknown
            for (t, v) in zip(s.times, s.values) { set.observe(meter: meter, source: nil, start: t, value: v, interval: interval) }
            _ = set.finish()
            var index: [Int64: Int] = [:]
            for (i, t) in s.times.enumerated() { index[t] = i }
            let scored = set.anomalies.filter { $0.kind != .communicationGap }
            let at = scored.map { a in index[a.detectedAt] ?? s.times.firstIndex { $0 >= a.detectedAt } }
            ours.append(Set(at.compactMap { $0 }))
            events.append(zip(scored, at).map { a, i in (a, i.map { i in s.windows.contains { $0.contains(i) } } ?? false) })
        }
        // The baseline at each threshold; the best for the folder as a whole.
        let gaussian = all.map { WindowedGaussian().scores($0.values) }
        let thresholds = [0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 0.9999999, 0.99999999]
        var best = (threshold: 0.5, total: -Double.infinity)
        for thr in thresholds {
            var total = 0.0
            for (k, s) in all.enumerated() {
                let d = Set(gaussian[k].indices.filter { gaussian[k][$0] >= thr })
                total += scorer.rawScore(count: s.values.count, windows: s.windows, detections: d)
            }
            if total > best.total { best = (thr, total) }
        }
        var out: [NABFileScore] = []
        var sums = (raw: 0.0, baseline: 0.0, null: 0.0, perfect: 0.0)
        for (k, s) in all.enumerated() {
            let n = s.values.count
            let (null, perfect) = scorer.bounds(count: n, windows: s.windows)
            let raw = scorer.rawScore(count: n, windows: s.windows, detections: ours[k])
            let bd = Set(gaussian[k].indices.filter { gaussian[k][$0] >= best.threshold })
            let braw = scorer.rawScore(count: n, windows: s.windows, detections: bd)
            sums.raw += raw; sums.baseline += braw; sums.null += null; sums.perfect += perfect
            out.append(NABFileScore(file: s.name, points: n, windows: s.windows.count, detections: ours[k].count, raw: raw,
                                    normalised: NABScorer.normalised(raw: raw, null: null, perfect: perfect),
                                    baselineDetections: bd.count, baselineRaw: braw,
                                    baselineNormalised: NABScorer.normalised(raw: braw, null: null, perfect: perfect), events: events[k]))
        }
        return (out, NABScorer.normalised(raw: sums.raw, null: sums.null, perfect: sums.perfect) ?? 0,
                NABScorer.normalised(raw: sums.baseline, null: sums.null, perfect: sums.perfect) ?? 0, best.threshold)
    }
}
