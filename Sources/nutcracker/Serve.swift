import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
import NutCrackerServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server over the store.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Largest ingest request body, in bytes.") var maxBodyBytes = 8 << 20
    @Option(help: "Most rows in one ingest request.") var maxRows = 50_000
    @Option(help: "Days of each meter's stored readings the detectors learn from before serving (0: they start cold).")
    var detectorHistoryDays = 28
    @Option(help: "Intervals a meter's readings must move past an empty slot before it is estimated (late readings fill it meanwhile; 0: at once).")
    var estimateAfter = VEEConfig.live.estimationDelay

    func run() async throws {
        try ListenAddress.checkFree(host: host, port: port)
        let store = try await storeOptions.open()
        var vee = VEEConfig.live
        vee.estimationDelay = max(0, estimateAfter)
        let deps = try await ServerSetup.dependencies(store: store, limits: IngestLimits(maxBodyBytes: maxBodyBytes, maxRows: maxRows), vee: vee)
        try await ServerSetup.resumeDetectors(deps.pipeline, days: detectorHistoryDays)
        if try await store.users().isEmpty {
            printOut("No users yet: create one with `nutcracker user add NAME --role admin --store \(storeOptions.store)`.\n")
        }
        printOut("Nut Cracker serving \(storeOptions.store) on http://\(host):\(port)/\n")
        try await buildApplication(deps, host: host, port: port).runService()
        // Stopped (a signal): what the detectors learned that a replay cannot rebuild is kept.
        try await deps.pipeline.saveDetectorState()
    }
}

/// The one place the server's parts are put together, for `serve` and `demo`.
enum ServerSetup {
    static func dependencies(store: SQLiteStore, limits: IngestLimits = IngestLimits(), vee: VEEConfig = .live) async throws -> ServerDependencies {
        let metrics = MetricsRegistry()
        let pipeline = Pipeline(store: store, rules: RuleSet(vee), detectors: DetectorConfig(), detection: .background, logger: Logger(label: "nutcracker.pipeline"),
                                observer: { summary, info in metrics.record(summary, source: info.source.rawValue) },
                                anomalyObserver: { metrics.record($0) })
        metrics.gauge("nutcracker_vee_meters_waiting_estimation",
                      help: "Interval meters whose empty slots wait for late readings before they are estimated.") { Double(pipeline.metersWaitingEstimation.value) }
        metrics.gauge("nutcracker_store_waiting_readings",
                      help: "Live readings committed to the store's log and not yet merged into its day blocks.") { Double(store.waitingReadings) }
        return ServerDependencies(store: store, pipeline: pipeline, accounts: try await Accounts(store: store), metrics: metrics, limits: limits)
    }

    /// Picks up the store's meters and brings the detectors up to date from it before the server
    /// takes readings, with a progress line on a terminal and a line saying what was done.
    static func resumeDetectors(_ pipeline: Pipeline, days: Int, continuing: Bool = true) async throws {
        let progress = ProgressLine("detectors")
        let started = Date()
        let s = try await pipeline.resume(detectorDays: days, continuing: continuing) { done, total in
            if done % 100 == 0 || done == total { progress.say("learning from meter \(done) of \(total)") }
        }
        progress.finish()
        var done: [String] = []
        if s.meters > 0 {
            done.append("learned from \(s.readings) readings of \(s.meters == 1 ? "1 meter's" : "\(s.meters) meters'") last \(days) days in "
                        + String(format: "%.1f s", Date().timeIntervalSince(started)))
        }
        if s.closed > 0 { done.append("closed \(s.closed) events the last run left open") }
        guard !done.isEmpty else { return }
        printOut("Detectors: " + done.joined(separator: "; ") + ".\n")
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The server with a simulated fleet streaming into the embedded store.")

    @Option(help: "The store: a SQLite file path (created if missing).") var store = "nutcracker-demo.sqlite"
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Meters per source (sources A, B, C).") var metersPerSource = 10
    @Option(help: "Days of history to load before going live.") var historyDays = 14
    @Option(help: "How many times faster than real time the fleet runs (900: a half hour every 2 s).") var speedup = 900.0
    @Option(help: "Random seed of the fleet.") var seed: UInt64 = 42

    func run() async throws {
        try ListenAddress.checkFree(host: host, port: port)
        let sqlite = try await StoreOptions.open(path: store)
        let deps = try await ServerSetup.dependencies(store: sqlite)
        // The fleet's history is simulated afresh below, so the detectors learn from it rather than
        // from the store; what an earlier demo left open is closed.
        try await ServerSetup.resumeDetectors(deps.pipeline, days: 0, continuing: false)
        var config = FleetConfig()
        config.seed = seed
        config.metersPerSource = metersPerSource
        let slots = historyDays * 86_400 / Int(config.interval.seconds)
        let start = try await FleetFeed.start(of: config, over: sqlite, now: Int64(Date().timeIntervalSince1970), historySlots: slots)
        let feed = FleetFeed(pipeline: deps.pipeline, config: config, startingAt: start)
        try await feed.backfill(slots: slots)
        await feed.start(speedup: speedup)
        // A ready admin: the token signs a person straight into the dashboard.
        if try await sqlite.user(name: "admin") == nil {
            try await deps.accounts.addUser(name: "admin", password: Accounts.randomPassword(), role: .admin)
        }
        let (token, _) = try await deps.accounts.issueToken(name: "admin", role: .admin)
        printOut("""
            Nut Cracker demo: \(config.sources.count * metersPerSource) simulated meters streaming into \(store) \
            (a half hour of fleet time every \(String(format: "%.1f", 1800 / speedup)) s)
            open http://\(host):\(port)/login?token=\(token)
            admin token (Authorization: Bearer ...): \(token)

            """)
        try await buildApplication(deps, host: host, port: port).runService()
        // Stopped (a signal): what the detectors learned that a replay cannot rebuild is kept.
        try await deps.pipeline.saveDetectorState()
    }
}
