import Logging
import MeterCore
import MeterIngest
import MeterStore

/// Streams the simulated fleet into the pipeline: first a stretch of history at full speed, then
/// one slot at a time at a chosen speed-up of real time.
public actor FleetFeed {
    public let pipeline: Pipeline
    private var simulator: FleetSimulator
    private let logger: Logger
    /// The next slot the fleet will send.
    public private(set) var nextSlot: Int64
    public private(set) var slotsSent = 0
    private var task: Task<Void, Never>?

    public init(pipeline: Pipeline, config: FleetConfig, startingAt start: Int64,
                logger: Logger = Logger(label: "nutcracker.fleet")) {
        self.pipeline = pipeline
        simulator = FleetSimulator(config)
        nextSlot = config.interval.slot(of: start) * config.interval.seconds
        self.logger = logger
    }

    public var meters: [Meter] { simulator.meters }

    /// Where a simulated fleet with `historySlots` of history starts over a store, so that it ends at
    /// the later of `now` and the end of what an earlier run of the same fleet stored: a fleet runs
    /// ahead of real time, and one started again behind its own stored readings would spend as long
    /// rewriting them as the last run lasted, its live figures standing still meanwhile.
    public static func start(of config: FleetConfig, over store: some ReadingStore, now: Int64, historySlots: Int) async throws -> Int64 {
        let step = config.interval.seconds
        let stored = try await store.latest(meters: FleetSimulator(config).meters.map(\.id))
        let front = max(config.interval.slot(of: now) * step, (stored.values.map(\.start).max() ?? .min) + step)
        return front - Int64(historySlots) * step
    }

    /// Sends `slots` slots as one batch per slot, as fast as the store takes them.
    public func backfill(slots: Int) async throws {
        try await pipeline.register(simulator.meters)
        var batch = ReadingBatch()
        for _ in 0..<slots {
            append(simulator.rows(forSlotStarting: nextSlot), to: &batch)
            nextSlot += simulator.config.interval.seconds
            slotsSent += 1
            if batch.count >= 20_000 {
                _ = try await send(batch)
                batch = ReadingBatch()
            }
        }
        if !batch.isEmpty { _ = try await send(batch) }
    }

    /// Sends one slot.
    @discardableResult
    public func step() async throws -> IngestSummary {
        var batch = ReadingBatch()
        append(simulator.rows(forSlotStarting: nextSlot), to: &batch)
        nextSlot += simulator.config.interval.seconds
        slotsSent += 1
        return try await send(batch)
    }

    /// Sends a slot every `interval / speedup` seconds until stopped.
    public func start(speedup: Double) {
        task?.cancel()
        let seconds = Double(simulator.config.interval.seconds) / max(speedup, 1e-3)
        task = Task { [weak self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                    try await self?.step()
                } catch is CancellationError {
                    return
                } catch {
                    await self?.log(error)
                }
            }
        }
    }

    public func stop() {
        task?.cancel()
        task = nil
    }

    private func log(_ error: any Error) { logger.error("fleet step failed: \(error)") }

    /// Defects injected so far: the ground truth.
    public var injected: [InjectedDefect] { simulator.injected }

    /// Rows the fleet sent as text that is not a number, by their line in the batch, as sent.
    private var unreadable: [Int: String] = [:]

    /// Appends rows, each numbered by its line in the batch (as a request's rows are).
    private func append(_ rows: [SimulatedReading], to batch: inout ReadingBatch) {
        for r in rows {
            let m = batch.intern(r.meter.id)
            let line = Int32(batch.count + 1)
            if let v = r.value {
                batch.append(meter: m, start: r.start, kwh: v, line: line)
            } else {
                batch.append(meter: m, start: r.start, kwh: .nan, status: (r.invalidText ?? "").isEmpty ? .empty : .notANumber, line: line)
                unreadable[Int(line)] = "\(r.meter.id),\(ISO8601.format(r.start)),\(r.invalidText ?? "")"
            }
        }
    }

    /// Sends a batch, the text of its unreadable rows kept for the quarantine.
    private func send(_ batch: ReadingBatch) async throws -> IngestSummary {
        let raw = unreadable
        unreadable = [:]
        return try await pipeline.ingest(batch, info: BatchInfo(origin: "simulator", source: .unassigned),
                                         rawText: { lines in raw.filter { lines.contains($0.key) } })
    }
}
