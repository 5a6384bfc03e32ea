import Foundation
import MeterCleanse
import MeterCore
import MeterIngest
import MeterStore

/// Imports files into the store through the pipeline: reads each file in the layout it is in
/// (detected or as told), cleanses it with the pipeline's rules at the file's own interval, stores
/// it, and reports progress while it reads.
public struct FileImporter: Sendable {
    public var reading: FileReading
    public var source: SourceID
    /// VEE settings (nil: the pipeline's); the interval is the file's own when the file states one
    /// and none was given.
    public var vee: VEEConfig?
    public var intervalGiven: Bool
    /// Whether the value limit was given (else a layout may lift it: a grid's load is not a household's).
    public var limitGiven = false

    public init(reading: FileReading = FileReading(), source: SourceID = .unassigned, vee: VEEConfig? = nil,
                intervalGiven: Bool = false) {
        self.reading = reading
        self.source = source
        self.vee = vee
        self.intervalGiven = intervalGiven
    }

    /// Imports one file. `progress` gets bytes read and total bytes.
    public func importFile(_ path: String, into pipeline: Pipeline,
                           progress: (@Sendable (Int64, Int64) -> Void)? = nil) async throws -> IngestSummary {
        var r = reading
        r.workers = max(r.workers, ProcessInfo.processInfo.activeProcessorCount)
        let result = try r.read(path: path, progress: progress)
        var config = vee ?? pipeline.rules.config
        // A file is whole when it is read: its gaps wait for nothing.
        config.estimationDelay = 0
        if !intervalGiven, let i = result.interval { config.interval = i }
        if !limitGiven, let limit = result.limitOverride { config.maxKwh = limit }
        let info = BatchInfo(origin: path, source: source, sources: result.sources, kinds: result.kinds, interval: config.interval)
        let rawText: @Sendable ([Int]) -> [Int: String]
        switch FileReading.container(of: path) {
        case .text:
            let delimiter = reading.options.delimiter ?? CSVRecords.delimiter(path: path)
            rawText = { lines in CSVReader.rawRecords(path: path, lines: Set(lines), delimiter: delimiter) }
        case .json:
            rawText = { lines in FileManager.default.contents(atPath: path).map { JSONReadings.rawRows(data: $0, lines: Set(lines)) } ?? [:] }
        case .xlsx:
            rawText = { _ in [:] }
        }
        var summary = try await pipeline.ingest(result.batch, problems: result.problems, info: info, layout: result.layout,
                                                continueFromStore: true, rules: RuleSet(config), rawText: rawText)
        summary.rowsRead = result.rowsRead
        summary.notes = result.notes
        summary.intervalMinutes = config.interval.minutes
        return summary
    }
}
