import ArgumentParser
import Foundation
import MeterCore
import MeterIngest
import NutCrackerEngine

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate the fleet: write its readings to a file, or stream them into the store in real time.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Random seed: the same seed gives the same fleet and readings.") var seed: UInt64 = 42
    @Option(help: "Sources, comma-separated.") var sources = "A,B,C"
    @Option(help: "Meters per source.") var metersPerSource = 10
    @Option(help: "Share of register (cumulative) meters, 0...1.") var registerShare = 0.2
    @Option(help: "First slot, ISO 8601 (default: this many days before now).") var start: String?
    @Option(help: "Days of readings to write.") var days = 7
    @Option(help: "Defect rates per reading: duplicate,missing,invalid,outlier.") var defects = "0.002,0.003,0.001,0.001"
    @Option(help: "Chance per source and day of load shedding (4-8 h at zero).") var loadShedding = 0.02
    @Option(help: "Chance per week of one meter tampered (held near constant 72-120 h).") var tampering = 0.3
    @Option(name: .shortAndLong, help: "Write CSV here ('-' for standard output).") var output = "-"
    @Option(help: "Write the injected defects (ground truth) as JSON here.") var truth: String?
    @Flag(help: "Stream into the store instead of writing a file, from now on.") var stream = false
    @Option(help: "With --stream: how many times faster than real time.") var speedup = 1.0

    func run() async throws {
        var config = FleetConfig()
        config.seed = seed
        config.sources = try sources.split(separator: ",").map { s in
            guard let id = SourceID(s) else { throw ValidationError("--sources: '\(s)' is not a source id") }
            return id
        }
        config.metersPerSource = metersPerSource
        config.registerShare = registerShare
        let rates = defects.split(separator: ",").compactMap { Double($0) }
        guard rates.count == 4 else { throw ValidationError("--defects takes four rates: duplicate,missing,invalid,outlier") }
        (config.duplicateRate, config.missingRate, config.invalidRate, config.outlierRate) = (rates[0], rates[1], rates[2], rates[3])
        config.loadSheddingRate = loadShedding
        config.tamperingRate = tampering
        let now = Int64(Date().timeIntervalSince1970)
        if stream {
            let store = try await storeOptions.open()
            let feed = FleetFeed(pipeline: Pipeline(store: store), config: config, startingAt: now)
            try await feed.backfill(slots: 0)
            FileHandle.standardError.write(Data("streaming \(config.sources.count * metersPerSource) meters into \(storeOptions.store) at \(speedup)x; Ctrl-C to stop\n".utf8))
            await feed.start(speedup: speedup)
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        let from = try start.map { try parseTime($0, "start") } ?? (now - Int64(days) * 86_400)
        var sim = FleetSimulator(config)
        let handle: FileHandle
        if output == "-" {
            handle = .standardOutput
        } else {
            guard FileManager.default.createFile(atPath: output, contents: nil), let h = FileHandle(forWritingAtPath: output) else {
                throw ValidationError("--output: cannot write \(output)")
            }
            handle = h
        }
        let slots = days * 86_400 / Int(config.interval.seconds)
        let progress = ProgressLine("simulating")
        var written = 0
        sim.writeCSV(from: config.interval.slot(of: from) * config.interval.seconds, slots: slots) { chunk in
            handle.write(Data(chunk.utf8))
            written += 1
            if written % 48 == 0 { progress.update(Int64(written), Int64(slots)) }
        }
        progress.finish()
        if output != "-" { try handle.close() }
        if let truth {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(sim.injected).write(to: URL(fileURLWithPath: truth))
        }
    }
}
