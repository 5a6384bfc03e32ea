import Foundation
import MeterAnalytics
import MeterCore
import NutCrackerEngine
import TestSupport
import Testing

/// The evaluation harness at a reduced size, with the targets asserted where they are met.
struct AnomalyEvaluationTests {
    @Test(arguments: [42, 7] as [UInt64])
    func simulatedFleetMeetsRecallPrecisionAndDelay(_ seed: UInt64) {
        let r = AnomalyEvaluation.simulatedFleet(days: 75, metersPerSource: 10, seed: seed)
        for s in r.scores where s.truth > 0 {
            #expect(s.recall >= 0.95, "\(s.kind.rawValue) recall \(s.recall)")
            #expect(s.precision >= 0.90, "\(s.kind.rawValue) precision \(s.precision)")
        }
        let spike = r.scores.first { $0.kind == .spike }
        let flat = r.scores.first { $0.kind == .flatline }
        #expect((spike?.truth ?? 0) > 50 && (spike?.maxDelay ?? .max) <= 1800, "spikes within one interval")
        #expect((flat?.maxDelay ?? .max) <= 12 * 3600, "flatlines within 12 hours")
    }

    @Test(.enabled(if: SharedData.shouldRun, "../shared/data is absent: injected households skipped"), arguments: [42, 7] as [UInt64])
    func injectedHouseholdsMeetTheTargets(_ seed: UInt64) throws {
        let r = try AnomalyEvaluation.injectedHouseholds(path: try SharedData.path("real/sgsc/smart_meter10.csv"), seed: seed)
        for s in r.scores {
            #expect(s.truth >= 20 && s.recall >= 0.95, "\(s.kind.rawValue) recall \(s.recall) of \(s.truth)")
            #expect(s.precision >= 0.90, "\(s.kind.rawValue) precision \(s.precision)")
        }
        // The households' own events are found by running the untouched households: some of every kind
        // but valleys are theirs (the 50-day run at zero, the 14-day hold), and none is an injection.
        for kind in [AnomalyKind.spike, .flatline, .zeroRun] {
            #expect((r.scores.first { $0.kind == kind }?.known ?? 0) > 0, "\(kind.rawValue) has none of its own")
        }
        #expect(!r.known.contains { k in r.truth.contains { $0.kind == k.kind && $0.meter == k.meter && $0.start < k.end && k.start < $0.end } })
        #expect((r.scores.first { $0.kind == .spike }?.maxDelay ?? .max) <= 1800, "spikes within one interval")
    }

    @Test(.enabled(if: SharedData.shouldRun, "../shared/data is absent: NAB scoring skipped"))
    func nabFolderIsScoredForBothDetectors() throws {
        let r = try AnomalyEvaluation.nab(folder: try SharedData.path("real/nab"))
        #expect(r.files.count >= 9)
        #expect(r.files.contains { $0.file == "nyc_taxi.csv" && $0.windows == 5 })
        #expect(r.total.isFinite && r.baselineTotal.isFinite)
        // The folder target: above 50 on NAB's standard profile, and above the windowed Gaussian.
        #expect(r.total > 50, "NAB folder \(r.total)")
        #expect(r.total > r.baselineTotal)
        // And above the Gaussian on every series with a window to find.
        for f in r.files {
            guard let ours = f.normalised, let theirs = f.baselineNormalised else { continue }
            #expect(ours > theirs, "\(f.file): \(ours) against the Gaussian's \(theirs)")
        }
        // A burst of spikes, each within the series' range, is found inside its window.
        #expect((r.files.first { $0.file == "art_increase_spike_density.csv" }?.normalised ?? 0) > 80)
    }
}
