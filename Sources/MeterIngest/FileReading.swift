import Foundation
import MeterCore

/// Reads any supported file into readings: tells a workbook, JSON and delimited text apart by their
/// bytes, and a table's layout by its first rows (or as told), then reads it with that layout. The
/// result says which layout it chose and why, in words a person can check.
public struct FileReading: Sendable {
    public var options: ReadOptions
    /// Workers for a large file in the long CSV layout.
    public var workers: Int

    public init(options: ReadOptions = ReadOptions(), workers: Int = 1) {
        self.options = options
        self.workers = workers
    }

    /// What kind of container a file is.
    public enum Container: String, Sendable {
        case xlsx, json, text
    }

    public static func container(of path: String) -> Container {
        let ext = (path as NSString).pathExtension.lowercased()
        let head = FileHandle(forReadingAtPath: path).flatMap { h -> Data? in defer { try? h.close() }; return try? h.read(upToCount: 4096) } ?? Data()
        if ext == "xlsx" || ext == "xlsm" || head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .xlsx }
        if ["json", "ndjson", "jsonl"].contains(ext) || JSONReadings.looksLikeJSON(head) { return .json }
        return .text
    }

    public func read(path: String, progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> IngestResult {
        switch Self.container(of: path) {
        case .xlsx: return try readWorkbook(path: path, progress: progress)
        case .json: return try JSONReadings.read(path: path, options: options)
        case .text: return try readText(path: path, progress: progress)
        }
    }

    private func readText(path: String, progress: (@Sendable (Int64, Int64) -> Void)?) throws -> IngestResult {
        let delimiter = options.delimiter ?? CSVRecords.delimiter(path: path)
        let head = try CSVRecords.head(path: path, limit: options.detectRows, delimiter: delimiter)
        guard !head.isEmpty else { throw IngestError.empty(path: path) }
        let (layout, headerIndex, time) = try TableIngest.detect(head, origin: path, options: options)
        // The long layout with its header on the first line takes the byte-level fast path.
        if let long = layout as? LongLayout, headerIndex == 0, head[0].line == 1, (options.mappingFile?.scale ?? 1) == 1 {
            let c = long.columns
            func pos(_ i: Int?) -> String? { i.map { "#\($0 + 1)" } }
            let reader = CSVReader(mapping: ColumnMapping(meter: pos(c.meter), time: pos(c.time), value: pos(c.value), source: pos(c.source),
                                                          quality: pos(c.quality), kind: pos(c.kind)),
                                   time: time, delimiter: delimiter, decimalComma: options.decimalComma, meter: options.meter)
            var result = try reader.read(path: path, workers: workers, progress: progress)
            if let i = long.interval { result.layout += ", \(i.minutes)-minute intervals" }
            result.interval = options.interval ?? long.interval
            var probe = RowDecoder(origin: path, time: time)
            let naive = head.dropFirst().prefix(50).contains { if case .success(.naive) = probe.parseTime($0[c.time]) { true } else { false } }
            result.notes += TableIngest.notes(kind: .long, time: time, options: options, repeated: 0, naive: naive)
            return result
        }
        var ingest = TableIngest(origin: path, options: options)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        var rows = 0
        try CSVRecords.forEach(path: path, delimiter: delimiter) { row in
            try ingest.push(row)
            rows += 1
            if rows % 50_000 == 0 { progress?(min(size, Int64(rows) * 100), size) }
            return true
        }
        progress?(size, size)
        return try ingest.finish()
    }

    private func readWorkbook(path: String, progress: (@Sendable (Int64, Int64) -> Void)?) throws -> IngestResult {
        let book = try XLSXWorkbook(path: path)
        // The sheet asked for, else the first whose layout can be told.
        var chosen: Int?
        var firstError: (any Error)?
        if let s = options.sheet {
            chosen = try book.sheetIndex(s)
        } else {
            for k in book.sheets.indices {
                var head: [TableRow] = []
                try book.rows(sheet: k) { head.append($0); return head.count < options.detectRows }
                if head.isEmpty { continue }
                do {
                    _ = try TableIngest.detect(head, origin: "\(path) [\(book.sheets[k].name)]", options: options)
                    chosen = k
                    break
                } catch {
                    firstError = firstError ?? error
                }
            }
        }
        guard let sheet = chosen else {
            if let firstError { throw firstError }
            throw IngestError.empty(path: path)
        }
        var ingest = TableIngest(origin: "\(path) [\(book.sheets[sheet].name)]", options: options)
        try book.rows(sheet: sheet, progress: { progress?($0, $1) }) { row in
            try ingest.push(row)
            return true
        }
        var result = try ingest.finish()
        let others = book.sheets.count > 1 ? " (sheet \(sheet + 1) of \(book.sheets.count): \(book.sheets.map { "'\($0.name)'" }.joined(separator: ", ")); --sheet picks another)" : ""
        result.layout = "xlsx sheet '\(book.sheets[sheet].name)'\(others), \(book.date1904 ? "1904" : "1900") date system; " + result.layout
        return result
    }
}
