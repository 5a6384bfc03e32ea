import MeterCore
import MeterStore

/// One request of a group commit: a batch as a reader made it, the rows it already rejected, and
/// where it came from.
public struct IngestRequest: Sendable {
    public var batch: ReadingBatch
    public var problems: [QuarantineEntry]
    public var info: BatchInfo
    public var layout: String
    /// The raw text of input rows by line, for the rows VEE quarantines (read again from the payload
    /// only when some are).
    public var rawText: (@Sendable ([Int]) -> [Int: String])?

    public init(batch: ReadingBatch, problems: [QuarantineEntry] = [], info: BatchInfo, layout: String = "",
                rawText: (@Sendable ([Int]) -> [Int: String])? = nil) {
        self.batch = batch
        self.problems = problems
        self.info = info
        self.layout = layout
        self.rawText = rawText
    }
}

/// A stored reading with the source its meter belongs to, as live subscribers see it.
public struct LiveReading: Sendable, Hashable {
    public var meter: MeterID
    public var source: SourceID
    public var start: Int64
    public var minutes: Int
    public var kwh: Double
    public var quality: Quality
}

/// A batch once it is durable: its summary (VEE outcomes, quarantined rows) and its readings, which
/// each subscriber takes as it needs them: a watcher of a few meters does not pay for every reading
/// of every batch.
public struct StoredBatch: Sendable {
    public var summary: IngestSummary
    /// The readings as stored (shared with the pipeline, not copied).
    let batch: ReadingBatch
    /// Each of the batch's meters' source, by its index in `batch.meters`.
    let meterSources: [SourceID]
    let minutes: Int

    /// Readings in the batch.
    public var count: Int { batch.count }

    /// Every reading, in the batch's order.
    public var readings: [LiveReading] { (0..<batch.count).map(reading(at:)) }

    /// The readings of the named meters and of every meter of the named sources, in the batch's order.
    public func readings(meters: Set<MeterID>, sources: Set<SourceID>) -> [LiveReading] {
        guard !meters.isEmpty || !sources.isEmpty, batch.count > 0 else { return [] }
        var wanted = [Bool](repeating: false, count: batch.meters.count)
        var any = false
        if !sources.isEmpty {
            for (k, s) in meterSources.enumerated() where sources.contains(s) { wanted[k] = true; any = true }
        }
        // A few meters are found by comparing names, not by hashing each of the batch's.
        if meters.count <= 8 {
            for m in meters { if let k = batch.meters.firstIndex(of: m) { wanted[k] = true; any = true } }
        } else {
            for (k, m) in batch.meters.enumerated() where meters.contains(m) { wanted[k] = true; any = true }
        }
        guard any else { return [] }
        return (0..<batch.count).filter { wanted[Int(batch.meterIndex[$0])] }.map(reading(at:))
    }

    func reading(at i: Int) -> LiveReading {
        let k = Int(batch.meterIndex[i])
        return LiveReading(meter: batch.meters[k], source: meterSources[k], start: batch.start[i], minutes: minutes, kwh: batch.kwh[i],
                           quality: batch.quality(at: i))
    }
}

/// What the pipeline tells its live subscribers.
public enum PipelineEvent: Sendable {
    case stored(StoredBatch)
    case anomaly(Anomaly)
}
