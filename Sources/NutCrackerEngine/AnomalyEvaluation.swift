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
