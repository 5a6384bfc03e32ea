import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MeterAnalytics
import MeterCore
import MeterIngest
import NutCrackerEngine
import NutCrackerServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server over the store.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080

    func run() async throws {
        let store = try await storeOptions.open()
        let deps = ServerDependencies(store: store, pipeline: Pipeline(store: store, detectors: DetectorConfig()))
        printOut("Nut Cracker serving \(storeOptions.store) on http://\(host):\(port)/\n")
        try await buildApplication(deps, host: host, port: port).runService()
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The server with a simulated fleet streaming into the embedded store.")

    @Option(help: "The store: a SQLite file path (created if missing).") var store = "nutcracker-demo.sqlite"
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Meters per source (sources A, B, C).") var metersPerSource = 10
    @Option(help: "Days of history to load before going live.") var historyDays = 2
    @Option(help: "How many times faster than real time the fleet runs (900: a half hour every 2 s).") var speedup = 900.0
    @Option(help: "Random seed of the fleet.") var seed: UInt64 = 42

    func run() async throws {
        let sqlite = try await StoreOptions.open(path: store)
        let pipeline = Pipeline(store: sqlite, detectors: DetectorConfig())
        var config = FleetConfig()
        config.seed = seed
        config.metersPerSource = metersPerSource
        let now = Int64(Date().timeIntervalSince1970)
        let slots = historyDays * 86_400 / Int(config.interval.seconds)
        let feed = FleetFeed(pipeline: pipeline, config: config, startingAt: now - Int64(slots) * config.interval.seconds)
        try await feed.backfill(slots: slots)
        await feed.start(speedup: speedup)
        let deps = ServerDependencies(store: sqlite, pipeline: pipeline)
        printOut("""
            Nut Cracker demo: \(config.sources.count * metersPerSource) simulated meters streaming into \(store) \
            (a half hour of fleet time every \(String(format: "%.1f", 1800 / speedup)) s)
            open http://\(host):\(port)/   (JSON: http://\(host):\(port)/api/v1/meters, anomalies: /api/v1/anomalies)

            """)
        try await buildApplication(deps, host: host, port: port).runService()
    }
}
