import Foundation
import MeterCore
import MeterIngest
import MeterStore

/// Imports files into the store through the pipeline: picks the reader, reads, cleanses, stores,
/// and reports progress while it reads.
public struct FileImporter: Sendable {
    public var csv: CSVReader
    public var source: SourceID
    public var interval: IntervalLength

    public init(csv: CSVReader = CSVReader(), source: SourceID = .unassigned, interval: IntervalLength = .halfHour) {
        self.csv = csv
        self.source = source
        self.interval = interval
    }

    /// Imports one file. `progress` gets bytes read and total bytes.
    public func importFile(_ path: String, into pipeline: Pipeline,
                           progress: (@Sendable (Int64, Int64) -> Void)? = nil) async throws -> IngestSummary {
        let result = try csv.read(path: path, workers: ProcessInfo.processInfo.activeProcessorCount, progress: progress)
        let delimiter = csv.delimiter ?? Self.delimiter(ofFileAt: path)
        let info = BatchInfo(origin: path, source: source, sources: result.sources, kinds: result.kinds, interval: interval)
        var summary = try await pipeline.ingest(result.batch, problems: result.problems, info: info, layout: result.layout,
                                                continueFromStore: true) { lines in
            CSVReader.rawRecords(path: path, lines: Set(lines), delimiter: delimiter)
        }
        summary.rowsRead = result.rowsRead
        return summary
    }

    static func delimiter(ofFileAt path: String) -> UInt8 {
        guard let h = FileHandle(forReadingAtPath: path) else { return 0x2C }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: 64 * 1024)) ?? Data()
        return head.withUnsafeBytes { CSVScanner.guessDelimiter($0) }
    }
}
