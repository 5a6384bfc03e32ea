import Foundation

/// Splits delimited text into rows of text cells, streaming: for layouts that look at whole rows
/// (NEM12 records, a day per row, a load column per region) rather than the long layout's fast path.
public enum CSVRecords {
    /// Calls `body` with each record of the file in order, read in chunks; `body` returns false to stop.
    /// Blank lines are skipped (their line numbers still count).
    public static func forEach(path: String, delimiter: UInt8?, chunkSize: Int = 1 << 20,
                               _ body: (TableRow) throws -> Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IngestError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        var state = State(delimiter: delimiter)
        var buffer: [UInt8] = []
        while true {
            let data = try handle.read(upToCount: chunkSize) ?? Data()
            buffer.append(contentsOf: data)
            let isFinal = data.isEmpty
            let used = try buffer.withUnsafeBytes { try state.consume($0, isFinal: isFinal, body) }
            if state.stopped { return }
            buffer.removeFirst(used)
            if isFinal { return }
        }
    }

    /// The records of bytes already in memory.
    public static func forEach(bytes: UnsafeRawBufferPointer, delimiter: UInt8?, _ body: (TableRow) throws -> Bool) throws {
        var state = State(delimiter: delimiter)
        _ = try state.consume(bytes, isFinal: true, body)
    }

    /// Up to `limit` records from the start of a file (for layout detection).
    public static func head(path: String, limit: Int, delimiter: UInt8? = nil) throws -> [TableRow] {
        var rows: [TableRow] = []
        try forEach(path: path, delimiter: delimiter, chunkSize: 256 << 10) { row in
            rows.append(row)
            return rows.count < limit
        }
        return rows
    }

    /// The delimiter `forEach` would choose for a file (guessed from its first line).
    public static func delimiter(path: String) -> UInt8 {
        guard let h = FileHandle(forReadingAtPath: path) else { return 0x2C }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: 64 * 1024)) ?? Data()
        return head.withUnsafeBytes { buf in
            var lo = 0
            while lo < buf.count, buf[lo] == 0x0A || buf[lo] == 0x0D { lo += 1 }
            return CSVScanner.guessDelimiter(UnsafeRawBufferPointer(rebasing: buf[lo...]))
        }
    }

    struct State {
        var delimiter: UInt8?
        var scanner: CSVScanner?
        var fields: [CSVField] = []
        var line = 1
        var bomChecked = false
        var stopped = false

        mutating func consume(_ buf: UnsafeRawBufferPointer, isFinal: Bool, _ body: (TableRow) throws -> Bool) throws -> Int {
            var pos = 0
            if !bomChecked {
                guard let bom = CSVScanner.byteOrderMark(buf, isFinal: isFinal) else { return 0 }
                bomChecked = true
                pos = bom
            }
            if scanner == nil {
                // The delimiter from the first line that holds anything.
                var lo = pos
                while lo < buf.count, buf[lo] == 0x0A || buf[lo] == 0x0D { lo += 1 }
                var end = lo
                while end < buf.count, buf[end] != 0x0A { end += 1 }
                if end == buf.count && !isFinal { return 0 }
                scanner = CSVScanner(delimiter: delimiter ?? CSVScanner.guessDelimiter(UnsafeRawBufferPointer(rebasing: buf[lo..<end])))
            }
            guard let scanner else { return pos }
            while pos < buf.count {
                var newlines = 0
                guard let next = scanner.scan(buf, from: pos, isFinal: isFinal, fields: &fields, newlines: &newlines), next > pos else { break }
                let blank = fields.count == 1 && fields[0].end == fields[0].start
                if !blank {
                    let cells = fields.map { f -> Cell in
                        let t = CSVScanner.text(buf, f)
                        return t.isEmpty ? .empty : .text(t)
                    }
                    if try !body(TableRow(cells: cells, line: line)) {
                        stopped = true
                        return next
                    }
                }
                line += max(newlines, 1)
                pos = next
            }
            return pos
        }
    }
}
