import ArgumentParser
import Foundation
import MeterAnalytics
import MeterCore
import NutCrackerEngine

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score the detectors or the forecasts against ground truth and print the table.",
        subcommands: [EvalAnomalies.self, EvalForecast.self], defaultSubcommand: EvalAnomalies.self)
}

struct EvalAnomalies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies", abstract: "Score the anomaly detectors against ground truth and print the table.")

    @Option(help: "Days of the simulated fleet.") var days = 60
    @Option(help: "Meters per source of the simulated fleet.") var metersPerSource = 10
    @Option(help: "Seed of the fleet and of the injections.") var seed: UInt64 = 42
    @Option(help: "The SGSC households file to inject anomalies into (skipped when omitted).") var households: String?
    @Option(help: "A folder of NAB series with combined_windows.json (skipped when omitted).") var nab: String?
    @Flag(help: "Also list each false positive (OWN when the untouched households had it too), each missed event, and each NAB event in or out of its windows.") var listErrors = false

    func run() async throws {
        let t0 = Date()
        let sim = AnomalyEvaluation.simulatedFleet(days: days, metersPerSource: metersPerSource, seed: seed)
        printOut("simulated fleet, \(days) days, \(3 * metersPerSource) meters, seed \(seed) (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)\n")
        printOut(EvaluationTable.markdown(sim.scores, others: sim.anomalies) + "\n")
        if let households {
            let t1 = Date()
            let h = try AnomalyEvaluation.injectedHouseholds(path: households, seed: seed)
            printOut("\ninjected households (\(households), seed \(seed); \(String(format: "%.1f", Date().timeIntervalSince(t1))) s)\n")
            printOut(EvaluationTable.markdown(h.scores, others: h.anomalies) + "\n")
            if listErrors {
                for a in h.anomalies {
                    let hit = h.truth.contains { $0.meter == a.meter && $0.start < a.end && a.start < $0.end }
                    let own = h.known.contains { $0.kind == a.kind && $0.meter == a.meter && $0.start < a.end && a.start < $0.end }
                    if !hit { printOut("\(own ? "OWN" : "FP") \(a.kind) \(a.meter?.rawValue ?? "-") \(ISO8601.format(a.start)) \(a.detail)\n") }
                }
                let explains = DetectionScoring.alsoExplains
                for t in h.truth where !h.anomalies.contains(where: { a in
                    (a.kind == t.kind || (explains[t.kind] ?? []).contains(a.kind)) && a.meter == t.meter && a.start < t.end && t.start < a.end
                }) {
                    printOut("MISS \(t.kind) \(t.meter?.rawValue ?? "-") \(ISO8601.format(t.start))\n")
                }
            }
        }
        if let nab {
            let r = try AnomalyEvaluation.nab(folder: nab)
            printOut("\nNAB standard profile (\(nab)); windowed Gaussian at its best threshold for the folder, \(r.baselineThreshold)\n")
            printOut(EvaluationTable.nab(r.files, total: r.total, baselineTotal: r.baselineTotal) + "\n")
            if listErrors {
                for f in r.files {
                    for (a, inWindow) in f.events {
                        printOut("\(inWindow ? "IN " : "OUT") \(f.file) \(a.kind) \(ISO8601.format(a.start)) detected \(ISO8601.format(a.detectedAt)) \(a.detail)\n")
                    }
                }
            }
        }
        if listErrors {
            for a in sim.anomalies where a.kind != .outage {
                let hit = sim.truth.contains { $0.meter == a.meter && $0.start < a.end && a.start < $0.end }
                if !hit { printOut("FP \(a.kind) \(a.meter?.rawValue ?? "-") \(ISO8601.format(a.start)) \(a.detail)\n") }
            }
            for t in sim.truth where t.kind == .spike || t.kind == .flatline {
                if !sim.anomalies.contains(where: { $0.meter == t.meter && $0.start < t.end && t.start < $0.end }) {
                    printOut("MISS \(t.kind) \(t.meter?.rawValue ?? "-") \(ISO8601.format(t.start))\n")
                }
            }
        }
    }
}

/// The scores as a Markdown table.
enum EvaluationTable {
    static func nab(_ files: [NABFileScore], total: Double, baselineTotal: Double) -> String {
        func f(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "-" }
        var lines = ["| series | points | windows | detections | score | raw | Gaussian detections | Gaussian score | Gaussian raw |",
                     "|---|---|---|---|---|---|---|---|---|"]
        for s in files {
            lines.append("| \(s.file) | \(s.points) | \(s.windows) | \(s.detections) | \(f(s.normalised)) | \(String(format: "%.2f", s.raw)) | \(s.baselineDetections) | \(f(s.baselineNormalised)) | \(String(format: "%.2f", s.baselineRaw)) |")
        }
        lines.append("| **folder** | | | | **\(f(total))** | | | **\(f(baselineTotal))** | |")
        return lines.joined(separator: "\n")
    }

    static func markdown(_ scores: [KindScore], others: [Anomaly] = []) -> String {
        func f(_ d: Double) -> String { d.isNaN ? "-" : String(format: "%.3f", d) }
        func h(_ s: Int64) -> String { String(format: "%.1f h", Double(s) / 3600) }
        // The data's own events are shown only where there can be some (real data).
        let own = scores.contains { $0.known > 0 }
        var lines = own
            ? ["| kind | truth | found | detections | correct | its own | recall | precision | strict precision | F1 | median delay | max delay |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|"]
            : ["| kind | truth | found | detections | correct | recall | precision | F1 | median delay | max delay |",
               "|---|---|---|---|---|---|---|---|---|---|"]
        for s in scores {
            lines.append(own
                ? "| \(s.kind.rawValue) | \(s.truth) | \(s.found) | \(s.detections) | \(s.correct) | \(s.known) | \(f(s.recall)) | \(f(s.precision)) | \(f(s.strictPrecision)) | \(f(s.f1)) | \(h(s.medianDelay)) | \(h(s.maxDelay)) |"
                : "| \(s.kind.rawValue) | \(s.truth) | \(s.found) | \(s.detections) | \(s.correct) | \(f(s.recall)) | \(f(s.precision)) | \(f(s.f1)) | \(h(s.medianDelay)) | \(h(s.maxDelay)) |")
        }
        let scored = Set(scores.map(\.kind))
        var rest: [AnomalyKind: Int] = [:]
        for a in others where !scored.contains(a.kind) { rest[a.kind, default: 0] += 1 }
        if !rest.isEmpty {
            lines.append("")
            lines.append("Other events reported (no truth of that kind): " + rest.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
