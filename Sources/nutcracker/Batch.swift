import ArgumentParser
import Foundation
import NutCrackerEngine

struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "File-to-file batch jobs.", subcommands: [Daily.self])

    struct Daily: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Daily figures per meter from raw readings (meter_id,timestamp,kwh): totals, extremes and quality counts.")

        @Option(help: "Raw readings CSV.") var input: String
        @Option(help: "Daily CSV to write.") var output: String
        @Option(help: "Largest valid energy of one half hour (kWh).") var maxKwh: Double = 100
        @Option(help: "Longest run of empty slots to estimate.") var maxGap = 4
        @Option(help: "Worker threads (default: all cores).") var threads: Int?
        @Option(help: "Peak memory to plan for, in MB (default: half of this machine's memory); a larger input is split into partitions on disk.")
        var memoryLimit: Int?

        func run() async throws {
            let job = DailyJob(maxKwh: maxKwh, maxGap: maxGap, parallelism: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                               memoryLimit: memoryLimit.map { $0 << 20 } ?? DailyJob.defaultMemoryLimit)
            let line = ProgressLine("daily")
            let summary = try await job.run(input: input, output: output) { line.say($0) }
            line.finish()
            var text = "\(input): \(summary.rowsRead) rows, \(summary.meters) meters -> \(output): \(summary.days) meter-days"
            if summary.partitions > 0 { text += " (in \(summary.partitions) partitions)" }
            let stages: [String] = ["read", "cleanse", "write"].compactMap { k in
                summary.seconds[k].map { "\(k) " + String(format: "%.2f s", $0) }
            }
            if !stages.isEmpty { text += "; " + stages.joined(separator: ", ") }
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
