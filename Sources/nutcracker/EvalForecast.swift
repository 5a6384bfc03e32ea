import ArgumentParser
import Foundation
import MeterAnalytics
import NutCrackerEngine

struct EvalForecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Score day-ahead forecasts on rolling origins (MASE, interval coverage, time) beside statsforecast.")

    @Option(help: "vic_electricity.csv (half-hourly demand with temperature).") var victoria: String?
    @Option(help: "The SGSC households file.") var households: String?
    @Option(help: "Folds (origins) per series, spread over its last year.") var folds = 20
    @Option(help: "Days of history each fold is fitted on.") var windowDays = 84
    @Option(parsing: .upToNextOption, help: "Models to score.") var models: [String] = ["snaive", "mstl", "sarima", "regression", "mlp", "ensemble", "auto"]
    @Flag(help: "Do not give the models the temperature of the forecast day.") var noTemperature = false
    @Option(help: "Also run statsforecast (Python) on the same folds with this script (scripts/eval/forecast_peers.py).") var peers: String?
    @Option(help: "Python interpreter for the peers.") var python = "python3"
    @Option(parsing: .upToNextOption, help: "statsforecast models for the peers (SeasonalNaive, MSTL, AutoETS, AutoARIMA-hourly).")
    var peerModels: [String] = ["SeasonalNaive", "MSTL", "AutoETS"]

    func run() async throws {
        var sets: [ForecastEvaluation.DataSet] = []
        if let victoria { sets.append(try ForecastEvaluation.victoria(path: victoria)) }
        if let households { sets.append(try ForecastEvaluation.households(path: households)) }
        guard !sets.isEmpty else { throw ValidationError("give --victoria FILE and/or --households FILE") }
        var options = ForecastEvaluation.Options()
        options.folds = folds
        options.windowDays = windowDays
        options.useTemperature = !noTemperature
        let progress = ProgressLine("forecast")
        var rows: [(set: String, model: String, score: ForecastScore)] = []
        for set in sets {
            for model in models {
                let score = try ForecastEvaluation.score(set, model: model, options: options) { done, total in
                    progress.say("\(set.name) \(model): fold \(done) of \(total)")
                }
                progress.finish()
                rows.append((set.name, model, score))
                printOut(ForecastTable.row(set.name, "nutcracker \(model)", score) + "\n")
            }
        }
        if let peers {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nutcracker-forecast-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let foldsPath = folder.appendingPathComponent("folds.jsonl").path
            let outPath = folder.appendingPathComponent("peers.jsonl").path
            try ForecastEvaluation.writeFolds(sets, options: options, to: foldsPath)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python, peers, foldsPath, outPath] + peerModels
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw ValidationError("\(peers) failed with status \(p.terminationStatus)") }
            for (set, byModel) in try ForecastEvaluation.scorePeers(outPath, sets: sets, options: options).sorted(by: { $0.key < $1.key }) {
                for (model, score) in byModel.sorted(by: { $0.key < $1.key }) {
                    rows.append((set, "statsforecast \(model)", score))
                    printOut(ForecastTable.row(set, "statsforecast \(model)", score) + "\n")
                }
            }
        }
        printOut("\n" + ForecastTable.markdown(rows) + "\n")
    }
}

/// Forecast scores as a Markdown table.
enum ForecastTable {
    static func row(_ set: String, _ model: String, _ s: ForecastScore) -> String {
        "| \(set) | \(model) | \(s.folds) | \(String(format: "%.3f", s.mase)) | \(String(format: "%.3f", s.coverage80)) | \(String(format: "%.3f", s.coverage95)) | \(String(format: "%.3f", s.secondsPerFit)) |"
    }

    static func markdown(_ rows: [(set: String, model: String, score: ForecastScore)]) -> String {
        (["| data set | model | folds | MASE | 80% coverage | 95% coverage | seconds per fit+forecast |",
          "|---|---|---|---|---|---|---|"] + rows.map { row($0.set, $0.model, $0.score) }).joined(separator: "\n")
    }
}
