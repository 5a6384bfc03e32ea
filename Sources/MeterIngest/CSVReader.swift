import Foundation
import MeterCore
import Synchronization

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
    /// Files smaller than this are read by one worker.
    public var parallelThreshold: Int64 = 16 << 20
    /// Whether rows remember their line (for messages about them later); a job that reports no
    /// rows can save the memory.
    public var keepsLines = true
    /// Meters the input likely names first, in order (`RowDecoder.meterHint`).
    public var meterHint: [MeterID] = []

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
    ///
    /// A large file is read by several workers at once, each from its own stretch of the file
    /// (cut after a line end); their rows are joined in file order. When a cut turns out to fall
    /// inside a quoted field (an odd number of quotes before it), the file is read again in one
    /// pass, so the result is always the one a single pass gives.
    public func read(path: String, workers: Int = 1, progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> IngestResult {
        let size = Self.size(path)
        let parts = workers > 1 && size > parallelThreshold ? workers : 1
        if parts > 1, let result = try readParallel(path: path, size: size, parts: parts, progress: progress) {
            return result
        }
        return try read(path: path, progress: progress, onChunk: nil)
    }

    static func size(_ path: String) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
    }

    static func open(_ path: String) throws -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IngestError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return handle
    }

    /// Reads a file in bounded memory: after each chunk, `onChunk` gets the rows read so far and
    /// they are cleared (the meter table and the problems stay), so the batch never holds more
    /// than one chunk's rows. The returned result holds what the last call did not take.
    public func read(path: String, progress: (@Sendable (Int64, Int64) -> Void)? = nil,
                     onChunk: ((inout IngestResult) throws -> Void)?) throws -> IngestResult {
        let handle = try Self.open(path)
        defer { try? handle.close() }
        let size = Self.size(path)
        var state = State(reader: self, origin: path)
        try consume(handle, upTo: size, state: &state, progress: { progress?($0, size) }, onChunk: onChunk)
        return try state.finish()
    }

    /// Feeds the handle's bytes up to `end` through `state` in chunks, read straight into one
    /// reused buffer (an unfinished record moves to its front for the next chunk).
    private func consume(_ handle: FileHandle, upTo end: Int64, state: inout State, progress: (Int64) -> Void,
                         onChunk: ((inout IngestResult) throws -> Void)?) throws {
        let fd = handle.fileDescriptor
        var position = (try? handle.offset()).map { Int64($0) } ?? 0
        let begin = position
        var reserved = onChunk != nil
        var buffer = [UInt8](repeating: 0, count: chunkSize * 2)
        var filled = 0
        while true {
            let want = Int(min(Int64(chunkSize), max(0, end - position)))
            if buffer.count < filled + want { buffer += [UInt8](repeating: 0, count: filled + want - buffer.count) }
            var got = 0
            while got < want {
                let n = buffer.withUnsafeMutableBytes { b -> Int in
                    guard let base = b.baseAddress else { return -1 }
                    return Foundation.read(fd, base + filled + got, want - got)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IngestError.unreadable(path: state.origin, reason: String(cString: strerror(errno)))
                }
                if n == 0 { break }
                got += n
            }
            let isFinal = got == 0
            if state.countQuotes {
                buffer.withUnsafeBytes { state.quotes += Self.countQuotes(UnsafeRawBufferPointer(rebasing: $0[filled..<filled + got])) }
            }
            filled += got
            let used = try buffer.withUnsafeBytes { try state.consume(UnsafeRawBufferPointer(rebasing: $0[0..<filled]), isFinal: isFinal) }
            if used > 0, used < filled {
                buffer.withUnsafeMutableBytes { b in
                    guard let base = b.baseAddress else { return }
                    memmove(base, base + used, filled - used)
                }
            }
            filled -= used
            if !reserved, state.result.batch.count > 0 {
                // Room for the whole stretch at the first chunk's density: no regrowth and copying.
                let share = Double(state.reserveBytes ?? (end - begin)) / Double(max(1, position + Int64(got) - begin))
                state.result.batch.reserve(Int(Double(state.result.batch.count) * share * 1.02) + 1024)
                reserved = true
            }
            if let onChunk {
                try onChunk(&state.result)
                state.result.batch.removeAllRows()
            }
            position += Int64(got)
            progress(Int64(got))
            if isFinal { break }
        }
    }

    static func countQuotes(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard var p = bytes.baseAddress else { return 0 }
        var left = bytes.count
        var n = 0
        while left > 0, let hit = memchr(p, 0x22, left) {
            n += 1
            let skip = UnsafeRawPointer(hit) - p + 1
            p += skip
            left -= skip
        }
        return n
    }

    /// The parallel read; nil when a cut fell inside a quoted field.
    private func readParallel(path: String, size: Int64, parts: Int, progress: (@Sendable (Int64, Int64) -> Void)?) throws -> IngestResult? {
        // The header first, then cuts just after a line end near each k/parts of the file.
        var first = State(reader: self, origin: path)
        let handle = try Self.open(path)
        let head = try handle.read(upToCount: 1 << 20) ?? Data()
        try? handle.close()
        var headerEnd = 0
        try head.withUnsafeBytes { buf in
            guard let nl = buf.firstIndex(of: 0x0A) else { return }
            headerEnd = nl + 1
            first.quotes = Self.countQuotes(UnsafeRawBufferPointer(rebasing: buf[0..<headerEnd]))
            _ = try first.consume(UnsafeRawBufferPointer(rebasing: buf[0..<headerEnd]), isFinal: false)
        }
        guard headerEnd > 0, first.scanner != nil else { return nil }
        var cuts: [Int64] = [Int64(headerEnd)]
        for k in 1..<parts {
            let h = try Self.open(path)
            defer { try? h.close() }
            try h.seek(toOffset: UInt64(size * Int64(k) / Int64(parts)))
            let window = try h.read(upToCount: 1 << 16) ?? Data()
            guard let nl = window.firstIndex(of: 0x0A) else { return nil }
            cuts.append(size * Int64(k) / Int64(parts) + Int64(nl - window.startIndex) + 1)
        }
        cuts.append(size)
        guard zip(cuts, cuts.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }

        let done = Mutex<Int64>(Int64(headerEnd))
        let results = Mutex<[Int: Result<State, any Error>]>([:])
        let template = first, bounds = cuts
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            var state = template
            state.result = IngestResult()
            state.result.batch.keepsLines = keepsLines
            state.result.layout = template.result.layout
            state.decoder = RowDecoder(origin: path, time: time, defaultMeter: meter, decimalComma: template.decoder.decimalComma)
            state.line = 1
            state.quotes = 0
            state.countQuotes = true
            state.reserveBytes = k == 0 ? size : nil
            let outcome = Result<State, any Error> {
                let h = try Self.open(path)
                defer { try? h.close() }
                try h.seek(toOffset: UInt64(bounds[k]))
                try consume(h, upTo: bounds[k + 1], state: &state, progress: { n in
                    let total = done.withLock { $0 += n; return $0 }
                    progress?(total, size)
                }, onChunk: nil)
                return state
            }
            results.withLock { $0[k] = outcome }
        }
        let states = try (0..<parts).map { k -> State in
            guard let r = results.withLock({ $0[k] }) else { throw IngestError.unreadable(path: path, reason: "worker \(k) gave no result") }
            return try r.get()
        }
        // A cut is safe when the quotes before it are even: then it was outside any quoted field.
        var quotes = first.quotes
        for s in states.dropLast() {
            quotes += s.quotes
            if quotes % 2 != 0 { return nil }
        }
        // Join in file order: lines continue, meters map into the first worker's table.
        var out = states[0].result
        var lineOffset = states[0].line - 1 + 1 // header line
        out.batch.shiftLines(by: 1)
        for i in out.problems.indices { out.problems[i].line += 1 }
        out.batch.reserve(states.reduce(0) { $0 + $1.result.batch.count })
        for s in states.dropFirst() {
            let r = s.result
            let map = r.batch.meters.map { out.batch.intern($0) }
            out.batch.append(contentsOf: r.batch, meterMap: map, lineOffset: Int32(clamping: lineOffset))
            out.problems += r.problems.map { var p = $0; p.line += lineOffset; return p }
            out.rowsRead += r.rowsRead
            out.sources.merge(r.sources) { a, _ in a }
            out.kinds.merge(r.kinds) { a, _ in a }
            lineOffset += s.line - 1
        }
        return out
    }

    /// Reads bytes already in memory (a request body, a test string).
    public func read(bytes: UnsafeRawBufferPointer, origin: String) throws -> IngestResult {
        var state = State(reader: self, origin: origin)
        // A body in memory (an HTTP request, a message): room for as many rows as its size allows (no
        // record is shorter than a dozen bytes) and as many meters, so neither table regrows.
        let rows = min(bytes.count / 12 + 1, 1 << 20)
        state.result.batch.reserve(rows)
        state.result.batch.reserveMeters(min(rows, 1 << 14))
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
    struct State: Sendable {
        let reader: CSVReader
        let origin: String
        var result = IngestResult()
        var decoder: RowDecoder
        var columns: ColumnMapping.Resolved?
        var scanner: CSVScanner?
        var fields: [CSVField] = []
        var line = 1
        var sawBOMCheck = false
        /// Quote characters seen: where a parallel reader may have cut the file.
        var quotes = 0
        /// Whether to count them (only a parallel read needs to).
        var countQuotes = false
        /// Bytes to reserve row room for, when more than this reader's own stretch (the worker
        /// whose batch the others are joined into).
        var reserveBytes: Int64?

        init(reader: CSVReader, origin: String) {
            self.reader = reader
            self.origin = origin
            decoder = RowDecoder(origin: origin, time: reader.time, defaultMeter: reader.meter)
            decoder.meterHint = reader.meterHint
            result.batch.keepsLines = reader.keepsLines
        }

        /// Processes every complete record in `buf`; returns the bytes used.
        mutating func consume(_ buf: UnsafeRawBufferPointer, isFinal: Bool) throws -> Int {
            var pos = 0
            if !sawBOMCheck {
                guard let bom = CSVScanner.byteOrderMark(buf, isFinal: isFinal) else { return 0 }
                sawBOMCheck = true
                pos = bom
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
            let delimiter = scanner.delimiter
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * Self.fastFields) { bounds -> Int in
                guard let b = bounds.baseAddress else { return pos }
                while pos < buf.count {
                    // Fast path: a record without quotes, split in one pass with no field array.
                    let n = Self.simpleRecord(buf, from: pos, delimiter: delimiter, bounds: b)
                    if n.count > 0 {
                        let recordLine = line
                        line += 1
                        handle(buf, pos, n.next, count: n.count, need: need, cols: cols, line: recordLine) { k in
                            k < n.count ? UnsafeRawBufferPointer(rebasing: buf[b[2 * k]..<b[2 * k + 1]]) : nil
                        }
                        pos = n.next
                        continue
                    }
                    var newlines = 0
                    guard let next = scanner.scan(buf, from: pos, isFinal: isFinal, fields: &fields, newlines: &newlines) else { break }
                    let recordLine = line
                    line += newlines
                    let fs = fields
                    handle(buf, pos, next, count: fs.count, need: need, cols: cols, line: recordLine) { k in
                        k < fs.count ? CSVScanner.bytes(buf, fs[k]) : nil
                    }
                    pos = next
                }
                return pos
            }
        }

        /// Most fields the fast path splits a record into.
        static let fastFields = 32

        /// Splits a record that has no quotes and ends with a line end inside `buf`: field `k` is
        /// `bounds[2k]..<bounds[2k+1]` (a CR before the LF left out). Returns a count of 0 when the
        /// record needs the general scanner (quotes, too many fields, or no line end yet).
        @inline(__always)
        static func simpleRecord(_ buf: UnsafeRawBufferPointer, from pos: Int, delimiter: UInt8,
                                 bounds: UnsafeMutablePointer<Int>) -> (next: Int, count: Int) {
            let n = buf.count
            var i = pos
            var k = 0
            bounds[0] = pos
            while i < n {
                let c = buf[i]
                if c == delimiter {
                    k += 1
                    if k >= fastFields { return (pos, 0) }
                    bounds[2 * k - 1] = i
                    bounds[2 * k] = i + 1
                } else if c == 0x0A {
                    bounds[2 * k + 1] = i > bounds[2 * k] && buf[i - 1] == 0x0D ? i - 1 : i
                    return (i + 1, k + 1)
                } else if c == 0x22 {
                    return (pos, 0)
                }
                i += 1
            }
            return (pos, 0)
        }

        /// One record's fields, whichever way they were split: a blank line is skipped, a short
        /// row is malformed, anything else goes to the row decoder.
        @inline(__always)
        mutating func handle(_ buf: UnsafeRawBufferPointer, _ pos: Int, _ next: Int, count: Int, need: Int,
                             cols: ColumnMapping.Resolved, line recordLine: Int, field: (Int) -> UnsafeRawBufferPointer?) {
            if count == 1, (field(0)?.count ?? 0) == 0 { return } // blank line
            if count <= need {
                result.rowsRead += 1
                decoder.reject(&result, line: recordLine, field: nil, reason: "malformed_row",
                               detail: "\(count) fields, expected at least \(need + 1)",
                               raw: CSVReader.recordText(buf, pos, next))
                return
            }
            let before = cols.source != nil || cols.kind != nil ? result.batch.count : 0
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            decoder.decode(meter: cols.meter.flatMap(field),
                           time: field(cols.time) ?? empty,
                           value: field(cols.value) ?? empty,
                           quality: cols.quality.flatMap(field),
                           line: recordLine, into: &result, raw: { CSVReader.recordText(buf, pos, next) })
            if cols.source != nil || cols.kind != nil, result.batch.count > before, let m = result.batch.meterIndex.last {
                let id = result.batch.meters[Int(m)]
                if let sc = cols.source, result.sources[id] == nil, let f = field(sc),
                   let s = SourceID(String(decoding: f, as: UTF8.self).trimmingSpaces) {
                    result.sources[id] = s
                }
                if let kc = cols.kind, result.kinds[id] == nil, let f = field(kc),
                   let k = MeterKind(rawValue: String(decoding: f, as: UTF8.self).trimmingSpaces.lowercased()) {
                    result.kinds[id] = k
                }
            }
        }

        mutating func finish() throws -> IngestResult {
            if scanner == nil { throw IngestError.empty(path: origin) }
            return result
        }
    }
}
