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

/// A batch once it is durable: its summary (VEE outcomes, quarantined rows) and its readings.
public struct StoredBatch: Sendable {
    public var summary: IngestSummary
    public var readings: [LiveReading]
}

/// What the pipeline tells its live subscribers.
public enum PipelineEvent: Sendable {
    case stored(StoredBatch)
    case anomaly(Anomaly)
}
