import Foundation
import MeterCore

/// Reads delimited text of readings, one row per reading (the long layout): a header, then rows
/// with a meter, a time and a value column.
///
/// Streams: the input is read in chunks and never held whole. Detects the delimiter (`,` `;` tab),
/// a decimal comma, a UTF-8 BOM and CRLF ends; guesses columns from common names unless told.
/// A bad row is reported with its line and field and the rest of the input goes on.
public struct CSVReader: Sendable {
    public var mapping: ColumnMapping
    public var time: TimeOptions
    /// Delimiter byte; nil to detect from the header.
    public var delimiter: UInt8?
    /// Whether `,` is the decimal mark; nil to allow it whenever the delimiter is not a comma.
    public var decimalComma: Bool?
    /// Meter for files that hold one meter and have no meter column.
    public var meter: MeterID?
    public var chunkSize: Int

    public init(mapping: ColumnMapping = ColumnMapping(), time: TimeOptions = TimeOptions(), delimiter: UInt8? = nil,
                decimalComma: Bool? = nil, meter: MeterID? = nil, chunkSize: Int = 4 << 20) {
        self.mapping = mapping
        self.time = time
        self.delimiter = delimiter
        self.decimalComma = decimalComma
        self.meter = meter
        self.chunkSize = max(chunkSize, 64)
    }

    /// Reads a file. `progress` is called after each chunk with bytes read and the file's size.
    public func read(path: String, progress: ((Int64, Int64) -> Void)? = nil) throws -> IngestResult {
        try read(path: path, progress: progress, onChunk: nil)
    }

    /// Reads a file in bounded memory: after each chunk, `onChunk` gets the rows read so far and
    /// they are cleared (the meter table and the problems stay), so the batch never holds more
    /// than one chunk's rows. The returned result holds what the last call did not take.
    public func read(path: String, progress: ((Int64, Int64) -> Void)? = nil,
                     onChunk: ((inout IngestResult) throws -> Void)?) throws -> IngestResult {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IngestError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        var state = State(reader: self, origin: path)
        var pending: [UInt8] = []
        var done: Int64 = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: chunkSize) ?? Data() } catch {
                throw IngestError.unreadable(path: path, reason: "\(error)")
            }
            let isFinal = chunk.isEmpty
            pending.append(contentsOf: chunk)
            let used = try pending.withUnsafeBytes { try state.consume($0, isFinal: isFinal) }
            pending.removeFirst(used)
            if let onChunk {
                try onChunk(&state.result)
                state.result.batch.removeAllRows()
            }
            done += Int64(chunk.count)
            progress?(done, size)
            if isFinal { break }
        }
        return try state.finish()
    }

    /// Reads bytes already in memory (a request body, a test string).
    public func read(bytes: UnsafeRawBufferPointer, origin: String) throws -> IngestResult {
        var state = State(reader: self, origin: origin)
        _ = try state.consume(bytes, isFinal: true)
        return try state.finish()
    }

    public func read(text: String, origin: String = "<text>") throws -> IngestResult {
        var s = text
        return try s.withUTF8 { try read(bytes: UnsafeRawBufferPointer($0), origin: origin) }
    }

    /// The raw text of the records that start on the given lines, found by scanning the file again
    /// the same way it was read. For quarantining rows that a later stage rejects.
    public static func rawRecords(path: String, lines: Set<Int>, delimiter: UInt8 = 0x2C) -> [Int: String] {
        guard !lines.isEmpty, let data = FileManager.default.contents(atPath: path) else { return [:] }
        return data.withUnsafeBytes { rawRecords(bytes: $0, lines: lines, delimiter: delimiter) }
    }

    public static func rawRecords(bytes buf: UnsafeRawBufferPointer, lines: Set<Int>, delimiter: UInt8) -> [Int: String] {
        var out: [Int: String] = [:]
        let scanner = CSVScanner(delimiter: delimiter)
        var fields: [CSVField] = []
        var pos = 0
        var line = 1
        let last = lines.max() ?? 0
        while pos < buf.count, line <= last {
            var newlines = 0
            guard let next = scanner.scan(buf, from: pos, isFinal: true, fields: &fields, newlines: &newlines), next > pos else { break }
            if lines.contains(line) { out[line] = Self.recordText(buf, pos, next) }
            line += newlines
            pos = next
        }
        return out
    }

    static func recordText(_ buf: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> String {
        var end = min(to, buf.count)
        while end > from, buf[end - 1] == 0x0A || buf[end - 1] == 0x0D { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buf[from..<end]), as: UTF8.self)
    }

    /// Reading state across chunks.
    struct State {
        let reader: CSVReader
        let origin: String
        var result = IngestResult()
        var decoder: RowDecoder
        var columns: ColumnMapping.Resolved?
        var scanner: CSVScanner?
        var fields: [CSVField] = []
        var line = 1
        var sawBOMCheck = false

        init(reader: CSVReader, origin: String) {
            self.reader = reader
            self.origin = origin
            decoder = RowDecoder(origin: origin, time: reader.time, defaultMeter: reader.meter)
        }

        /// Processes every complete record in `buf`; returns the bytes used.
        mutating func consume(_ buf: UnsafeRawBufferPointer, isFinal: Bool) throws -> Int {
            var pos = 0
            if !sawBOMCheck {
                if buf.count < 3 && !isFinal { return 0 }
                sawBOMCheck = true
                if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { pos = 3 }
            }
            if scanner == nil {
                // The header: the first line; detect the delimiter from it.
                var end = pos
                while end < buf.count, buf[end] != 0x0A { end += 1 }
                if end == buf.count && !isFinal { return pos }
                let delim = reader.delimiter ?? CSVScanner.guessDelimiter(UnsafeRawBufferPointer(rebasing: buf[pos..<end]))
                let s = CSVScanner(delimiter: delim)
                scanner = s
                decoder.decimalComma = reader.decimalComma ?? (delim != 0x2C)
                var newlines = 0
                guard let next = s.scan(buf, from: pos, isFinal: isFinal, fields: &fields, newlines: &newlines), next > pos else {
                    throw IngestError.empty(path: origin)
                }
                let header = fields.map { CSVScanner.text(buf, $0).trimmingSpaces }
                let resolved = try reader.mapping.resolve(header: header, meterOptional: reader.meter != nil).get()
                columns = resolved
                let name = delim == 0x2C ? "comma" : delim == 0x3B ? "semicolon" : delim == 0x09 ? "tab" : "'\(Character(UnicodeScalar(delim)))'"
                result.layout = "long CSV (\(name)-delimited\(decoder.decimalComma ? ", decimal comma allowed" : "")): \(resolved.summary)"
                line += newlines
                pos = next
            }
            guard let scanner, let cols = columns else { return pos }
            let need = max(cols.time, cols.value, cols.meter ?? 0)
            while pos < buf.count {
                var newlines = 0
                guard let next = scanner.scan(buf, from: pos, isFinal: isFinal, fields: &fields, newlines: &newlines) else { break }
                let recordLine = line
                line += newlines
                defer { pos = next }
                if fields.count == 1, fields[0].start == fields[0].end { continue } // blank line
                if fields.count <= need {
                    result.rowsRead += 1
                    decoder.reject(&result, line: recordLine, field: nil, reason: "malformed_row",
                                   detail: "\(fields.count) fields, expected at least \(need + 1)",
                                   raw: CSVReader.recordText(buf, pos, next))
                    continue
                }
                let start = pos
                let before = result.batch.count
                decoder.decode(meter: cols.meter.map { CSVScanner.bytes(buf, fields[$0]) },
                               time: CSVScanner.bytes(buf, fields[cols.time]),
                               value: CSVScanner.bytes(buf, fields[cols.value]),
                               quality: cols.quality.flatMap { $0 < fields.count ? CSVScanner.bytes(buf, fields[$0]) : nil },
                               line: recordLine, into: &result, raw: { CSVReader.recordText(buf, start, next) })
                if result.batch.count > before, let m = result.batch.meterIndex.last {
                    let id = result.batch.meters[Int(m)]
                    if let sc = cols.source, sc < fields.count, result.sources[id] == nil,
                       let s = SourceID(CSVScanner.text(buf, fields[sc]).trimmingSpaces) {
                        result.sources[id] = s
                    }
                    if let kc = cols.kind, kc < fields.count, result.kinds[id] == nil,
                       let k = MeterKind(rawValue: CSVScanner.text(buf, fields[kc]).trimmingSpaces.lowercased()) {
                        result.kinds[id] = k
                    }
                }
            }
            return pos
        }

        mutating func finish() throws -> IngestResult {
            if scanner == nil { throw IngestError.empty(path: origin) }
            return result
        }
    }
}
