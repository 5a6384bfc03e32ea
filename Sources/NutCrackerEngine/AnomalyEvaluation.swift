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
        return (scores, anomalies.filter { $0.start >= start + Int64(learningDays) * 86_400 }, truth)
    }
}

extension FleetConfig {
    var registerSize: Double { 100_000 }
}

extension AnomalyEvaluation {
    /// Real households with anomalies injected at random places (seeded): spikes (2 to 3.5 times the
    /// meter's 99th percentile added to the value), dips (a value in the meter's top quarter cut to
    /// 40% of its 1st percentile of non-zero values, on meters whose floor leaves room for that), flatlines (72 to 120 hours held at the
    /// meter's median, within 0.3%) and zero runs (4 to 12 hours, on meters under 1% zeros). Natural anomalies the households
    /// really had count against precision.
    public static func injectedHouseholds(path: String, seed: UInt64 = 42, perMeter: (spikes: Int, dips: Int, flatlines: Int, zeroRuns: Int) = (12, 12, 2, 3))
        throws -> (scores: [KindScore], anomalies: [Anomaly], truth: [TruthEvent]) {
        let reader = CSVReader(time: TimeOptions(zone: .fixed(seconds: 36_000)))
        let batch = try reader.read(path: path).batch
        var series: [Int32: [(Int64, Double)]] = [:]
        for i in 0..<batch.count where batch.status[i] == .number {
            series[batch.meterIndex[i], default: []].append((batch.start[i], batch.kwh[i]))
        }
        var truth: [TruthEvent] = []
        var rng = SplitMix64(seed: seed, 0x5ECC, 1)
        var streams: [(MeterID, [(Int64, Double)])] = []
        for (m, raw) in series.sorted(by: { $0.key < $1.key }) {
            let id = batch.meters[Int(m)]
            var s = raw.sorted { $0.0 < $1.0 }
            let n = s.count
            guard n > 2000 else { continue }
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
            for _ in 0..<perMeter.spikes {
                guard let at = place(1) else { continue }
                s[at].1 = ((s[at].1 + p99 * (2 + 1.5 * rng.unit())) * 1000).rounded() / 1000
                truth.append(TruthEvent(kind: .spike, meter: id, source: nil, start: s[at].0, end: s[at].0 + 1800))
            }
            // A dip needs room below the meter's own floor: none on a meter whose values reach 0.002 kWh.
            for _ in 0..<(p1 >= 0.004 ? perMeter.dips : 0) {
                guard let at = place(1, { s[$0].1 >= upper && s[$0].1 > 0.1 }) else { continue }
                s[at].1 = max(0.001, (p1 * 0.4 * 1000).rounded(.down) / 1000)
                truth.append(TruthEvent(kind: .valley, meter: id, source: nil, start: s[at].0, end: s[at].0 + 1800))
            }
            streams.append((id, s))
        }
        // Feed in time order across households, as the engine would.
        var config = DetectorConfig()
        config.zone = .fixed(seconds: 36_000)
        var detectors = DetectorSet(config: config)
        var merged: [(Int64, Int, Double)] = []
        for (k, (_, s)) in streams.enumerated() { merged += s.map { ($0.0, k, $0.1) } }
        merged.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        for (t, k, v) in merged { detectors.observe(meter: streams[k].0, source: nil, start: t, value: v, interval: 1800) }
        _ = detectors.finish()
        let from = (merged.first?.0 ?? 0) + 28 * 86_400
        let anomalies = detectors.anomalies.filter { $0.start >= from }
        return (DetectionScoring.score(truth: truth, detections: anomalies, kinds: [.spike, .valley, .flatline, .zeroRun], from: from), anomalies, truth)
    }
}
