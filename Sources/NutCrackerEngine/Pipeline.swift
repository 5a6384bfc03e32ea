import CThreadPriority
import Foundation
import Logging
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterStore

/// Where the anomaly detectors run.
public enum DetectionMode: Sendable {
    /// On the commit path: a batch's reports are stored before its ingest returns.
    case inline
    /// On their own thread after the commit, in commit order; `drainDetections()` waits for them.
    case background
}

/// The one path into the store: a batch read from anywhere goes through the VEE rule set and is
/// written, with its quarantined rows, in one transaction. Keeps each meter's last value so the
/// next batch continues its series (gap estimation, register differences), and a running quality
/// report of everything it has seen. With detectors, every stored batch's measured readings also go
/// through the anomaly detectors, whose reports are stored and offered to subscribers as they happen.
public actor Pipeline {
    public let store: any ReadingStore
    public let rules: RuleSet
    private var anchors = SeriesAnchors()
    private var registerAnchors: [MeterID: SeriesAnchor] = [:]
    /// Interval meters' empty slots that wait for late readings before VEE estimates them
    /// (`VEEConfig.estimationDelay`); `resume` takes them up again from the store.
    private var openGaps = OpenGaps()
    /// Interval meters with empty slots waiting for late readings (a gauge).
    public nonisolated let metersWaitingEstimation = SharedCount()
    private var kinds: [MeterID: MeterKind] = [:]
    /// Whether any meter is known to be a register meter (until one is, VEE and the anchors need not
    /// look up each reading's kind).
    private var knowsRegisterMeters = false
    /// The source each meter is registered under; any change forgets the lists remembered from it.
    private var sources: [MeterID: SourceID] = [:] {
        didSet { registeredSources.removeAll() }
    }
    /// The registered sources of recent requests' lists of meters (a gateway names the same meters
    /// every time), found again without a lookup per meter.
    private var registeredSources = MeterListMemo<[SourceID?]>()
    /// Every outcome since the pipeline started.
    public private(set) var report = QualityReport()
    public private(set) var readingsStored = 0
    private let logger: Logger
    private var detectors: DetectorSet?
    private let detectorConfig: DetectorConfig?
    private let detection: DetectionMode
    private var jobs: DetectionQueue<DetectionJob>?
    private var nextSubscriber = 0
    private var eventSubscribers: [Int: AsyncStream<PipelineEvent>.Continuation] = [:]
    private let observer: (@Sendable (IngestSummary, BatchInfo) -> Void)?
    private let anomalyObserver: (@Sendable ([Anomaly]) -> Void)?
    /// Whether the last group handed to the store was written (yields once, when it is known).
    private var lastWrite: AsyncStream<Bool>?
    /// Groups not stored so far (refused by the store, or after such a group).
    private var failedWrites = 0
    /// Anomaly reports stored so far (opened, updated and closed events).
    public private(set) var anomalyReports = 0
    /// Readings committed and waiting for the background detectors: the ingest queue takes no new
    /// group while it is past its bound, so detection that falls behind cannot grow memory without limit.
    public nonisolated let detectionBacklog = SharedCount()
    /// How often the background detectors' learned operating bands are kept in the store.
    private let bandsSavedEvery: Duration
    /// How long the background detectors wait for more readings when few are waiting.
    private let detectionGather: Duration
    /// The save of them being written, if any (a later periodic one waits for the next turn).
    private var bandsWrite: Task<Void, Never>?
    /// The name the bands are kept under (`ReadingStore.detectorState`).
    static let bandsName = "operating_band"

    /// - Parameter observer: told of every stored batch's summary (metrics), on the pipeline's executor.
    /// - Parameter anomalyObserver: told of the detectors' reports once stored (metrics).
    /// - Parameter detection: inline (reports stored before `ingest` returns) or in the background
    ///   (the server: an acknowledgement does not wait for the detectors, which use another core).
    /// - Parameter bandsSavedEvery: in the background, how often the detectors' learned operating
    ///   bands are written to the store (`saveDetectorState`), which `resume` reads back.
    /// - Parameter reportsEvery: in the background, the least time between two writes of the
    ///   detectors' reports (subscribers see a report once it is stored).
    /// - Parameter detectionGather: in the background, how long the detectors wait for more readings
    ///   when few are waiting (`gathers(meters:)`; a report comes at most that much later).
    public init(store: any ReadingStore, rules: RuleSet = RuleSet(), detectors: DetectorConfig? = nil,
                detection: DetectionMode = .inline, bandsSavedEvery: Duration = .seconds(3600), reportsEvery: Duration = .seconds(1),
                detectionGather: Duration = .milliseconds(40),
                logger: Logger = Logger(label: "nutcracker.pipeline"),
                observer: (@Sendable (IngestSummary, BatchInfo) -> Void)? = nil,
                anomalyObserver: (@Sendable ([Anomaly]) -> Void)? = nil) {
        self.store = store
        self.observer = observer
        self.anomalyObserver = anomalyObserver
        self.rules = rules
        self.detectorConfig = detectors
        self.detection = detection
        self.bandsSavedEvery = bandsSavedEvery
        self.reportsEvery = reportsEvery
        self.detectionGather = detectionGather
        self.detectors = detectors.map { DetectorSet(config: $0, keepsHistory: false) }
        self.logger = logger
    }

    /// One reading for the detectors, with the source it is reported under.
    typealias Sighting = DetectorSet.Sighting

    /// What a stored batch gives the detectors: register meters' raw reads (before VEE took their
    /// differences) for the register detector, and the measured interval readings, each in time order.
    /// `batchSources`: `meterSources(of: batch, info:)`.
    private func sightings(_ batch: ReadingBatch, registers input: ReadingBatch, info: BatchInfo,
                           batchSources: [SourceID]) -> (registers: [Sighting], readings: [Sighting]) {
        // Each meter's source and kind looked up once per batch, not once per row. (Register meters
        // are often unknown: their kinds are then not looked up at all.)
        let registerRows: [Int] = !knowsRegisterMeters ? [] : {
            let inputIsRegister = input.meters.map { kinds[$0] == .register }
            return (0..<input.count).filter { input.status[$0] == .number && inputIsRegister[Int(input.meterIndex[$0])] }
                .sorted { input.start[$0] < input.start[$1] }
        }()
        let inputSources = registerRows.isEmpty ? [] : meterSources(of: input, info: info)
        let registers = registerRows.map { i -> Sighting in
            let k = Int(input.meterIndex[i])
            return Sighting(meter: input.meters[k], source: inputSources[k], start: input.start[i], value: input.kwh[i])
        }
        func before(_ a: Int, _ b: Int) -> Bool {
            batch.start[a] != batch.start[b] ? batch.start[a] < batch.start[b] : batch.meterIndex[a] < batch.meterIndex[b]
        }
        var order = (0..<batch.count).filter { batch.quality(at: $0) == .actual && batch.status[$0] == .number }
        // A gateway's batch (one interval, meters in order) is in order already.
        if zip(order, order.dropFirst()).contains(where: { !before($0, $1) }) { order.sort(by: before) }
        // Register meters arrive here as interval energy (VEE took the differences).
        let readings = order.map { i -> Sighting in
            let k = Int(batch.meterIndex[i])
            return Sighting(meter: batch.meters[k], source: batchSources[k], start: batch.start[i], value: batch.kwh[i])
        }
        return (registers, readings)
    }

    /// Each of a batch's meters' source, by its index in `batch.meters`: the request's own for it,
    /// else the one it is registered under, else the request's. (A request's own are usually none,
    /// and then not looked up at all.)
    private func meterSources(of batch: ReadingBatch, info: BatchInfo) -> [SourceID] {
        let own = info.sources, meters = batch.meters
        let registered: [SourceID?]
        if let known = registeredSources.value(for: meters) {
            registered = known
        } else {
            registered = meters.map { sources[$0] }
            registeredSources.remember(registered, for: meters)
        }
        return meters.indices.map { k in (own.isEmpty ? nil : own[meters[k]]) ?? registered[k] ?? info.source }
    }

    /// Runs the detectors over a batch's sightings; the one place either mode applies them.
    static func apply(_ set: inout DetectorSet, registers: [Sighting], readings: [Sighting], interval: Int64) -> [Anomaly] {
        var reports: [Anomaly] = []
        for r in registers {
            reports += set.observeRegister(meter: r.meter, source: r.source, start: r.start, value: r.value, interval: interval)
        }
        return reports + set.observe(readings, interval: interval)
    }

    /// Hands a stored batch to the detectors: inline, its reports are stored before this returns;
    /// in the background, the batch joins the detectors' queue in commit order.
    private func detect(_ batch: ReadingBatch, registers input: ReadingBatch, info: BatchInfo, batchSources: [SourceID]) async throws {
        guard batch.count > 0 || input.count > 0, detectorConfig != nil else { return }
        if resuming { await withCheckedContinuation { resumeWaiters.append($0) } }
        let (registers, readings) = sightings(batch, registers: input, info: info, batchSources: batchSources)
        guard !registers.isEmpty || !readings.isEmpty else { return }
        if detection == .background {
            detectionBacklog.add(registers.count + readings.count)
            backgroundQueue().push(.batch(registers: registers, readings: readings, interval: info.interval.seconds))
            return
        }
        guard var set = detectors else { return }
        // Own the set while it runs, so its per-meter state is mutated in place, never copied.
        detectors = nil
        let reports = Self.apply(&set, registers: registers, readings: readings, interval: info.interval.seconds)
        detectors = set
        guard !reports.isEmpty else { return }
        try await store.write(anomalies: reports)
        didDetect(reports)
    }

    /// The background detectors' reports waiting to be stored, whether a write of them is in flight,
    /// and who waits for the writes to finish. Reports are stored in the order they were made, all
    /// that came in during one write in the next, so the detectors never wait for the store's writer
    /// (which commits ingest groups too). Writes start at most one every `reportsEvery`: under a
    /// stream of readings the detectors report after nearly every group, and each write is a synced
    /// commit that touches a page of the anomalies' indexes for nearly every report (their meters
    /// are far apart), so fewer, larger writes share those pages.
    private var reportsWaiting: [Anomaly] = []
    private var writingReports = false
    private let reportsEvery: Duration
    private var lastReportWrite = ContinuousClock.now - .seconds(3600)
    /// The wait before the next write, which someone waiting for the reports cuts short.
    private var reportPause: Task<Void, Never>?
    private var reportsIdle: [CheckedContinuation<Void, Never>] = []

    private func storeReports(_ reports: [Anomaly]) {
        reportsWaiting += reports
        guard !writingReports else { return }
        writingReports = true
        Task { await writeReports() }
    }

    private func writeReports() async {
        while !reportsWaiting.isEmpty {
            let since = ContinuousClock.now - lastReportWrite
            if since < reportsEvery, reportsIdle.isEmpty {
                let pause = Task { [reportsEvery] in _ = try? await Task.sleep(for: reportsEvery - since) }
                reportPause = pause
                await pause.value
                reportPause = nil
            }
            lastReportWrite = ContinuousClock.now
            let reports = reportsWaiting
            reportsWaiting = []
            do {
                try await store.write(anomalies: reports)
                // A second's reports are thousands under a stream of readings: offered a few hundred
                // at a time, so groups waiting to be staged or written get the pipeline in between.
                for low in stride(from: 0, to: reports.count, by: 250) {
                    if low > 0 { await Task.yield() }
                    didDetect(Array(reports[low..<min(low + 250, reports.count)]))
                }
            } catch {
                logger.error("anomaly reports not stored", metadata: ["error": "\(error)", "reports": "\(reports.count)"])
            }
        }
        writingReports = false
        for waiter in reportsIdle { waiter.resume() }
        reportsIdle = []
    }

    /// Returns once every report handed to the writer so far is stored.
    private func reportsStored() async {
        guard writingReports else { return }
        reportPause?.cancel()
        await withCheckedContinuation { reportsIdle.append($0) }
    }

    /// Counts stored reports and offers them to subscribers.
    private func didDetect(_ reports: [Anomaly]) {
        anomalyReports += reports.count
        anomalyObserver?(reports)
        for r in reports { for c in eventSubscribers.values { c.yield(.anomaly(r)) } }
    }

    /// `resume` after the detectors have seen a batch: their state is no longer a
    /// restarted process's, and a replay would show them readings out of time order.
    public struct DetectionAlreadyRunning: Error, CustomStringConvertible {
        public var description: String { "the detectors are already running: resume them before the first batch" }
    }

    /// Work for the background detectors, in commit order.
    enum DetectionJob: Sendable {
        case batch(registers: [Sighting], readings: [Sighting], interval: Int64)
        case drain(CheckedContinuation<Void, Never>)
        case bands(CheckedContinuation<[(meter: MeterID, learned: OperatingEnvelope.Learned)], Never>)
    }

    /// The background detectors' queue, started on first use: one thread of its own owns the
    /// detector set and takes batches in the order they were committed. It takes every batch waiting
    /// at once, and a batch smaller than `gathers(meters:)` readings waits `detectionGather` for more:
    /// the detectors then take each meter's readings of many groups together (`DetectorSet.observe(_:interval:)`),
    /// fetching its state from memory once for them all, which under load is most of their cost. The
    /// thread runs at a lower priority (nice 10) than the concurrency pool's, which parses, cleanses
    /// and answers requests: it takes what they leave of the processors, and the queue's bound on
    /// the detectors' backlog (`IngestQueue`) slows ingest to its pace if that is not enough. Its
    /// reports reach the store and subscribers through this actor, in the order they were made.
    private func backgroundQueue() -> DetectionQueue<DetectionJob> {
        if let jobs { return jobs }
        let queue = DetectionQueue<DetectionJob>()
        jobs = queue
        let backlog = detectionBacklog
        let initial = detectors ?? DetectorSet(config: detectorConfig ?? DetectorConfig(), keepsHistory: false)
        detectors = nil
        let saveEvery = bandsSavedEvery, gather = detectionGather
        let (handed, hand) = AsyncStream<DetectionOutput>.makeStream()
        Task { [weak self] in
            for await output in handed {
                switch output {
                case let .reports(reports): await self?.storeReports(reports)
                case let .bands(bands): await self?.storeBands(bands)
                case let .drained(done):
                    await self?.reportsStored()
                    done.resume()
                }
            }
        }
        let thread = Thread {
            // Named here: a thread takes the name of the one that made it (a pool thread's) until it names itself.
            Thread.current.name = "nc-detectors"
            _ = nc_set_thread_nice(10)
            var set = initial
            var saved = ContinuousClock.now
            var waiting: [DetectionJob] = []
            while true {
                if waiting.isEmpty { waiting = queue.take() }
                guard !waiting.isEmpty else { break }
                if gather > .zero, Pipeline.readings(waiting) < Pipeline.gathers(meters: set.meterCount), case .batch = waiting[waiting.count - 1] {
                    Thread.sleep(forTimeInterval: Double(gather.components.attoseconds) / 1e18 + Double(gather.components.seconds))
                    waiting += queue.takeWaiting()
                }
                switch Pipeline.next(&waiting) {
                case let .batch(registers, readings, interval):
                    let reports = Pipeline.apply(&set, registers: registers, readings: readings, interval: interval)
                    backlog.add(-(registers.count + readings.count))
                    if !reports.isEmpty { hand.yield(.reports(reports)) }
                    if ContinuousClock.now - saved >= saveEvery {
                        saved = ContinuousClock.now
                        hand.yield(.bands(set.operatingBands()))
                    }
                case let .drain(done):
                    hand.yield(.drained(done))
                case let .bands(answer):
                    answer.resume(returning: set.operatingBands())
                }
            }
            hand.finish()
        }
        thread.start()
        return queue
    }

    /// What the detectors' thread hands this actor, in order.
    private enum DetectionOutput: Sendable {
        case reports([Anomaly])
        case bands([(meter: MeterID, learned: OperatingEnvelope.Learned)])
        /// Every batch before the drain is through the detectors: resumed once their reports are stored.
        case drained(CheckedContinuation<Void, Never>)
    }

    /// Readings in a batch the background detectors take without waiting for more: about eight a
    /// meter, past which fetching a meter's state once more saves little (`bench-detectors`, BATCH).
    static func gathers(meters: Int) -> Int { min(detectionTakes, max(16_384, 8 * meters)) }
    /// Most readings the background detectors take in one batch.
    static let detectionTakes = 65_536

    /// Readings in the waiting jobs' batches.
    private static func readings(_ jobs: [DetectionJob]) -> Int {
        jobs.reduce(0) { n, job in
            guard case let .batch(registers, readings, _) = job else { return n }
            return n + registers.count + readings.count
        }
    }

    /// The first waiting job, taken off: a batch joined by the batches right behind it of the same
    /// interval and without register reads (those go first in their own), up to `detectionTakes`.
    private static func next(_ waiting: inout [DetectionJob]) -> DetectionJob {
        let first = waiting.removeFirst()
        guard case .batch(let registers, let head, let interval) = first else { return first }
        var taken = 0, total = head.count
        for job in waiting {
            guard case let .batch(r, more, i) = job, r.isEmpty, i == interval, total + more.count <= detectionTakes else { break }
            total += more.count
            taken += 1
        }
        guard taken > 0 else { return first }
        // One array of the right size, each reading copied once.
        var readings: [Sighting] = []
        readings.reserveCapacity(total)
        readings += head
        for job in waiting.prefix(taken) {
            if case let .batch(_, more, _) = job { readings += more }
        }
        waiting.removeFirst(taken)
        return .batch(registers: registers, readings: readings, interval: interval)
    }

    deinit { jobs?.close() }

    /// Writes the detectors' learned operating bands to the store in the background, unless a
    /// write of them is still going (the next turn brings newer ones).
    private func storeBands(_ bands: [(meter: MeterID, learned: OperatingEnvelope.Learned)]) {
        guard bandsWrite == nil, !bands.isEmpty else { return }
        bandsWrite = Task {
            do { try await writeBands(bands) } catch {
                logger.error("operating bands not stored", metadata: ["error": "\(error)", "meters": "\(bands.count)"])
            }
            bandsWrite = nil
        }
    }

    /// In transactions of a few thousand meters, so a large fleet's save never holds the store's
    /// writer (and the acknowledgements waiting on it) for long.
    private func writeBands(_ bands: [(meter: MeterID, learned: OperatingEnvelope.Learned)]) async throws {
        for low in stride(from: 0, to: bands.count, by: 2_000) {
            var states: [MeterID: [UInt8]] = [:]
            for b in bands[low..<min(low + 2_000, bands.count)] { states[b.meter] = b.learned.bytes }
            try await store.write(detectorState: states, named: Self.bandsName)
        }
    }

    /// Keeps the detectors' learned operating bands in the store now, after every batch committed
    /// before the call (a server does so as it stops, and every `bandsSavedEvery` while it runs):
    /// the one part of their state that `resume`'s replay of the last weeks cannot rebuild.
    public func saveDetectorState() async throws {
        guard detectorConfig != nil else { return }
        let bands: [(meter: MeterID, learned: OperatingEnvelope.Learned)]
        if detection == .background {
            let queue = backgroundQueue()
            bands = await withCheckedContinuation { queue.push(.bands($0)) }
        } else {
            bands = detectors?.operatingBands() ?? []
        }
        // After any periodic save still being written, so an older snapshot never lands last.
        await bandsWrite?.value
        try await writeBands(bands)
    }

    /// Picks up where an earlier process over the same store left off, before it takes readings:
    /// the stored meters' kinds and sources (a register meter stays one whatever a request says),
    /// each register meter's last raw read (stored with each batch, so the register continues) and
    /// each interval meter's latest reading (a gap across the restart is bridged like any other), and,
    /// with detectors, their state from each meter's last `detectorDays` days (`DetectorReplay`) and
    /// the events left open that nothing has open closed. It must come before the first batch the
    /// detectors see, and throws `DetectionAlreadyRunning` after one.
    /// - Parameter continuing: false for a process that writes its history afresh (the demo's
    ///   simulated fleet): it learns the meters' kinds and closes what was left open, but its series
    ///   and detectors start from its own readings.
    public func resume(detectorDays: Int = 28, continuing: Bool = true,
                       progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> DetectorReplay.Summary {
        guard jobs == nil, !resuming else { throw DetectionAlreadyRunning() }
        let meters = try await learnStoredMeters(force: true)
        if continuing {
            for s in meters where s.meter.kind != .register && anchors[s.meter.id] == nil {
                if let r = s.latest { anchors[s.meter.id] = SeriesAnchor(start: r.start, value: r.kwh) }
            }
            for r in try await store.registerReads() where registerAnchors[r.meter] == nil {
                registerAnchors[r.meter] = SeriesAnchor(start: r.start, value: r.value)
            }
            try await takeUpOpenGaps(of: meters.filter { $0.meter.kind != .register && $0.latest != nil }.map(\.meter.id))
            metersWaitingEstimation.set(openGaps.meters)
        }
        guard detectorConfig != nil else { return DetectorReplay.Summary() }
        guard jobs == nil, var set = detectors, !resuming else { throw DetectionAlreadyRunning() }
        resuming = true
        let result: Result<DetectorReplay.Summary, any Error>
        do {
            if continuing {
                // The bands first: the replay then judges the last weeks against them, learning only what they have not seen.
                let source = Dictionary(meters.map { ($0.meter.id, $0.meter.source) }, uniquingKeysWith: { a, _ in a })
                let kept = try await store.detectorState(named: Self.bandsName)
                set.restore(operatingBands: kept.compactMap { meter, bytes in
                    OperatingEnvelope.Learned(bytes: bytes).map { (meter, source[meter], $0) }
                })
            }
            result = .success(try await DetectorReplay.run(&set, store: store, meters: meters, days: continuing ? detectorDays : 0, progress: progress))
        } catch {
            result = .failure(error)
        }
        detectors = set
        resuming = false
        for waiter in resumeWaiters { waiter.resume() }
        resumeWaiters = []
        return try result.get()
    }

    /// The gaps the meters' last stored readings leave that wait still for late readings (a process
    /// that stopped kept them only in memory): a gap waits while its end is among the meter's last
    /// `estimationDelay` slots, so that many readings and the one before suffice.
    private func takeUpOpenGaps(of meters: [MeterID]) async throws {
        guard let rule = rules.gapEstimation, rule.delay > 0, !meters.isEmpty else { return }
        for (id, readings) in try await store.recent(meters: meters, count: rule.delay + 2) where openGaps[id].isEmpty {
            openGaps[id] = rule.waiting(in: readings.sorted { $0.start < $1.start }.map { SeriesAnchor(start: $0.start, value: $0.kwh) })
        }
    }

    /// Whether the stored meters' kinds and sources are known (once per process).
    private var knowsStoredMeters = false

    /// Learns the kinds and sources of the meters the store has, without overriding what this
    /// process was told; returns the store's meters (none when already known, unless `force`).
    @discardableResult
    private func learnStoredMeters(force: Bool = false) async throws -> [MeterSnapshot] {
        guard force || !knowsStoredMeters else { return [] }
        knowsStoredMeters = true
        let meters = try await store.meters()
        for s in meters {
            if kinds[s.meter.id] == nil { kinds[s.meter.id] = s.meter.kind }
            if s.meter.kind == .register { knowsRegisterMeters = true }
            if sources[s.meter.id] == nil { sources[s.meter.id] = s.meter.source }
        }
        return meters
    }

    /// Whether the detectors are being brought up to date, and the batches waiting for it to finish.
    private var resuming = false
    private var resumeWaiters: [CheckedContinuation<Void, Never>] = []

    /// Returns once the detectors have seen every batch committed before the call and their reports
    /// are stored (at once inline).
    public func drainDetections() async {
        guard detection == .background, detectorConfig != nil else { return }
        let queue = backgroundQueue()
        await withCheckedContinuation { queue.push(.drain($0)) }
    }

    /// Registers meters so the pipeline knows their kinds.
    public func register(_ meters: [Meter]) async throws {
        for m in meters {
            kinds[m.id] = m.kind
            sources[m.id] = m.source
            if m.kind == .register { knowsRegisterMeters = true }
        }
        try await store.register(meters)
    }

    /// Runs VEE on a batch and stores the result.
    ///
    /// - Parameters:
    ///   - problems: rows the reader already rejected (they are quarantined with the rest).
    ///   - rawText: the raw text of input rows by line, for rows VEE quarantines.
    ///   - continueFromStore: bridge gaps from each meter's latest stored reading (file imports).
    public func ingest(_ batch: ReadingBatch, problems: [QuarantineEntry] = [], info: BatchInfo, layout: String = "",
                       continueFromStore: Bool = false, rules override: RuleSet? = nil,
                       rawText: @Sendable ([Int]) -> [Int: String] = { _ in [:] }) async throws -> IngestSummary {
        try await learnStoredMeters()
        if continueFromStore {
            let missing = batch.meters.filter { anchors[$0] == nil && kinds[$0] != .register && info.kinds[$0] != .register }
            if !missing.isEmpty {
                for (id, r) in try await store.latest(meters: missing) { anchors[id] = SeriesAnchor(start: r.start, value: r.kwh) }
            }
        }
        let request = IngestRequest(batch: batch, problems: problems, info: info, layout: layout)
        return try await write(stage([request], rules: override, rawText: rawText))[0]
    }

    /// Runs VEE on each request in turn and stores them all in one transaction (group commit): when
    /// it returns, every request's readings are durable; when it throws, none is stored.
    public func ingest(group: [IngestRequest]) async throws -> [IngestSummary] {
        try await write(stage(group))
    }

    /// A group after VEE, waiting for its write; `write` takes it, in the order groups were staged.
    public struct StagedGroup: Sendable {
        fileprivate let requests: [IngestRequest]
        fileprivate let prepared: [Prepared]
        /// Yields whether the group staged before this one was stored.
        fileprivate let previous: AsyncStream<Bool>?
        fileprivate let signal: AsyncStream<Bool>.Continuation
        /// Failed writes known when it was cleansed (their meters' anchors were already dropped).
        fileprivate let failuresKnown: Int
    }

    /// VEE over a group, at once, even while the group before it is being written: it continues that
    /// group's series. Every staged group must be written.
    public func stage(_ group: [IngestRequest]) -> StagedGroup {
        stage(group, rules: nil, rawText: { _ in [:] })
    }

    private func stage(_ group: [IngestRequest], rules override: RuleSet?, rawText: ([Int]) -> [Int: String]) -> StagedGroup {
        let prepared = group.map { prepare($0, rules: override, rawText: rawText) }
        let previous = lastWrite
        let (written, signal) = AsyncStream<Bool>.makeStream()
        lastWrite = written
        return StagedGroup(requests: group, prepared: prepared, previous: previous, signal: signal, failuresKnown: failedWrites)
    }

    /// Writes a staged group once the group before it is written, then runs what follows a commit.
    /// A group cleansed before its predecessor's write failed fails too, as its VEE assumed those
    /// readings; one cleansed after the failure was known goes ahead.
    public func write(_ staged: StagedGroup) async throws -> [IngestSummary] {
        // The next group's write waits for this one's commit, not for what follows it here: the
        // store's writer goes on to the next group while this one's summaries are made.
        var signalled = false
        func signal(_ stored: Bool) {
            guard !signalled else { return }
            signalled = true
            staged.signal.yield(stored)
            staged.signal.finish()
        }
        defer { signal(false) }
        if let previous = staged.previous {
            var earlier = previous.makeAsyncIterator()
            if await earlier.next() == false, failedWrites > staged.failuresKnown {
                forgetAnchors(of: staged.requests)
                failedWrites += 1
                throw PipelineError.earlierGroupFailed
            }
        }
        let summaries: [WriteSummary]
        do {
            summaries = try await store.write(group: staged.prepared.map(\.write))
        } catch {
            forgetAnchors(of: staged.requests)
            failedWrites += 1
            throw error
        }
        signal(true)
        var out: [IngestSummary] = []
        out.reserveCapacity(summaries.count)
        for (p, w) in zip(staged.prepared, summaries) { out.append(try await finish(p, w)) }
        return out
    }

    /// After a failed write, the group's meters continue from nothing rather than from readings that
    /// were never stored (whichever groups were cleansed meanwhile).
    private func forgetAnchors(of group: [IngestRequest]) {
        for r in group {
            for m in r.batch.meters {
                anchors[m] = nil
                registerAnchors[m] = nil
                openGaps.forget(m)
            }
        }
        metersWaitingEstimation.set(openGaps.meters)
    }

    /// A request after VEE, before its write.
    struct Prepared: Sendable {
        var write: BatchWrite
        var input: ReadingBatch
        var report: QualityReport
        var layout: String
    }

    /// VEE over one request, with the quarantine entries for what it rejected; moves the meters' anchors on.
    private func prepare(_ request: IngestRequest, rules override: RuleSet?, rawText: ([Int]) -> [Int: String]) -> Prepared {
        let batch = request.batch, info = request.info
        for (id, k) in info.kinds {
            kinds[id] = k
            if k == .register { knowsRegisterMeters = true }
        }
        var sink = QualityReportSink(meters: batch.meters)
        let kindOf = self.kinds, registerAnchors = self.registerAnchors, meters = batch.meters
        let rules = override ?? self.rules
        let slots = anchors.slots(of: meters)
        let intervalAnchors = slots.map { anchors.anchor(at: $0) }
        let cleansed = knowsRegisterMeters
            ? rules.run(batch, sink: &sink, kind: { kindOf[$0] },
                        anchorAt: { m in kindOf[meters[Int(m)]] == .register ? registerAnchors[meters[Int(m)]] : intervalAnchors[Int(m)] },
                        waiting: &openGaps)
            : rules.run(batch, sink: &sink, anchorAt: { intervalAnchors[Int($0)] }, waiting: &openGaps)
        metersWaitingEstimation.set(openGaps.meters)
        // Quarantine entries for what VEE rejected, with the row's raw text.
        let lines = cleansed.rejections.map { Int(batch.line(at: Int($0.row))) }
        let raw = lines.isEmpty ? [:] : request.rawText?(lines) ?? rawText(lines)
        var quarantine = request.problems
        for r in cleansed.rejections {
            let i = Int(r.row)
            let line = Int(batch.line(at: i))
            let meter = batch.meters[Int(batch.meterIndex[i])]
            quarantine.append(QuarantineEntry(
                origin: info.origin, line: line, field: r.field, reason: r.outcome.rule == DuplicateCheck.name ? "conflicting_duplicate" : r.outcome.name,
                detail: r.detail,
                raw: raw[line] ?? "\(meter),\(ISO8601.format(batch.start[i])),\(batch.status[i] == .number ? String(batch.kwh[i]) : "")",
                meter: meter, start: batch.start[i]))
        }
        var report = sink.report
        for p in request.problems {
            report.add(Outcome(rule: "parse", name: p.reason, action: .quarantined, summary: Outcome.summary(ofKey: "parse/\(p.reason)") ?? p.reason),
                       meter: p.meter ?? MeterID.unknown)
        }
        let registerReads = updateAnchors(batch, cleansed.batch, slots: slots)
        return Prepared(write: BatchWrite(batch: cleansed.batch, quarantine: quarantine, info: info, registerReads: registerReads),
                        input: batch, report: report, layout: request.layout)
    }

    /// After the write: detectors, the running report, subscribers, and the summary.
    private func finish(_ p: Prepared, _ written: WriteSummary) async throws -> IngestSummary {
        let clean = p.write.batch, info = p.write.info, report = p.report, quarantine = p.write.quarantine
        // Sources for the detectors and for subscribers, looked up once.
        let batchSources = clean.count > 0 && (detectorConfig != nil || !eventSubscribers.isEmpty) ? meterSources(of: clean, info: info) : []
        try await detect(clean, registers: p.input, info: info, batchSources: batchSources)
        self.report.merge(report)
        readingsStored += written.inserted + written.corrected

        var s = IngestSummary(origin: info.origin, layout: p.layout)
        s.batch = written.batch
        s.inserted = written.inserted
        s.corrected = written.corrected
        s.unchanged = written.unchanged
        s.stored = written.inserted + written.corrected
        s.storedActual = (0..<clean.count).reduce(0) { $0 + (clean.quality(at: $1) == .actual ? 1 : 0) }
        s.duplicates = report.count(DuplicateCheck.exact) + report.count(DuplicateCheck.conflict)
        s.estimated = report.total(.estimated)
        s.missing = report.total(.missing)
        s.quarantined = quarantine.count
        s.invalid = quarantine.count - report.count(DuplicateCheck.conflict)
        s.meters = p.input.metersWithRows
        s.report = report
        s.examples = Array(quarantine.prefix(10))
        s.rejected = quarantine
        observer?(s, info)
        if !eventSubscribers.isEmpty {
            publish(StoredBatch(summary: s, batch: clean, meterSources: batchSources.isEmpty && clean.count > 0 ? meterSources(of: clean, info: info) : batchSources,
                                minutes: info.interval.minutes))
        }
        logger.debug("stored batch", metadata: ["batch": "\(written.batch)", "origin": "\(info.origin)",
                                               "stored": "\(s.stored)", "quarantined": "\(s.quarantined)"])
        return s
    }

    /// Everything that happens, as it happens: stored batches (their readings and VEE outcomes) and
    /// anomaly reports. A slow subscriber loses its oldest events, never blocks the pipeline.
    public func events() -> AsyncStream<PipelineEvent> {
        let (stream, continuation) = AsyncStream<PipelineEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = nextSubscriber
        nextSubscriber += 1
        eventSubscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in Task { await self?.unsubscribeEvents(id) } }
        return stream
    }

    private func unsubscribeEvents(_ id: Int) { eventSubscribers[id] = nil }

    private func publish(_ batch: StoredBatch) {
        for c in eventSubscribers.values { c.yield(.stored(batch)) }
    }

    /// Moves each meter's anchor to the batch's last value; returns the register meters' reads that
    /// moved (to be stored with the batch).
    /// `slots`: the anchors' slots of the input's meter table (`SeriesAnchors.slots(of:)`).
    private func updateAnchors(_ input: ReadingBatch, _ clean: ReadingBatch, slots: [Int32]) -> [RegisterRead] {
        // The cleansed batch keeps the input's meter table.
        let cleanSlots = clean.meters == input.meters ? slots : anchors.slots(of: clean.meters)
        anchors.advance(to: clean, slots: cleanSlots)
        // Register meters continue from their last register value, not from an interval.
        guard knowsRegisterMeters else { return [] }
        var moved: Set<MeterID> = []
        for i in 0..<input.count where input.status[i] == .number {
            let id = input.meters[Int(input.meterIndex[i])]
            guard kinds[id] == .register, input.kwh[i] >= 0 else { continue }
            if let a = registerAnchors[id], a.start >= input.start[i] { continue }
            registerAnchors[id] = SeriesAnchor(start: input.start[i], value: input.kwh[i])
            moved.insert(id)
        }
        return moved.compactMap { id in registerAnchors[id].map { RegisterRead(meter: id, start: $0.start, value: $0.value) } }
    }
}

/// Why the pipeline refused a group.
public enum PipelineError: Error, CustomStringConvertible {
    /// The group before it, whose series it continues, was not stored.
    case earlierGroupFailed

    public var description: String {
        switch self {
        case .earlierGroupFailed: "not stored: the readings received just before were not stored; send both again"
        }
    }
}

