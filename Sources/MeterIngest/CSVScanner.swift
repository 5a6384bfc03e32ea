/// One field of a CSV record: a byte range in the scanned buffer.
public struct CSVField: Sendable {
    public var start: Int
    public var end: Int
    /// The field was quoted and holds `""` escapes that must be undone.
    public var escaped: Bool
}

/// Splits bytes into CSV records and fields (RFC 4180 plus the real world): one delimiter byte,
/// fields optionally in double quotes with `""` escapes and embedded delimiters or newlines,
/// LF or CRLF line ends. Works in place on the buffer; never reads outside it.
public struct CSVScanner: Sendable {
    public let delimiter: UInt8

    public init(delimiter: UInt8) { self.delimiter = delimiter }

    /// Scans the record that begins at `pos`.
    ///
    /// - Returns: the position after the record's line end, or nil when the buffer ends before the
    ///   record does and more input may follow (`isFinal` false). `newlines` is increased by the
    ///   line ends the record spans.
    public func scan(_ buf: UnsafeRawBufferPointer, from pos: Int, isFinal: Bool,
                     fields: inout [CSVField], newlines: inout Int) -> Int? {
        fields.removeAll(keepingCapacity: true)
        let n = buf.count
        var i = pos
        var lines = 0
        while true {
            // One field.
            if i < n, buf[i] == 0x22 {
                i += 1
                let start = i
                var escaped = false
                var closed = false
                while i < n {
                    let b = buf[i]
                    if b == 0x22 {
                        if i + 1 < n, buf[i + 1] == 0x22 { escaped = true; i += 2; continue }
                        if i + 1 == n && !isFinal { return nil }
                        closed = true
                        break
                    }
                    if b == 0x0A { lines += 1 }
                    i += 1
                }
                if !closed {
                    if !isFinal { return nil }
                    fields.append(CSVField(start: start, end: i, escaped: escaped))
                    newlines += lines
                    return n
                }
                fields.append(CSVField(start: start, end: i, escaped: escaped))
                i += 1 // closing quote
                // Anything between the closing quote and the delimiter is ignored.
                while i < n, buf[i] != delimiter, buf[i] != 0x0A, buf[i] != 0x0D { i += 1 }
            } else {
                let start = i
                while i < n, buf[i] != delimiter, buf[i] != 0x0A { i += 1 }
                var end = i
                if end > start, buf[end - 1] == 0x0D { end -= 1 }
                fields.append(CSVField(start: start, end: end, escaped: false))
            }
            if i >= n {
                if !isFinal { return nil }
                newlines += lines
                return n
            }
            let b = buf[i]
            if b == delimiter { i += 1; continue }
            if b == 0x0D { i += 1; if i < n, buf[i] == 0x0A { i += 1 } else if i >= n, !isFinal { return nil } }
            else if b == 0x0A { i += 1 }
            newlines += lines + 1
            return i
        }
    }

    /// The field's text with quotes and escapes undone.
    public static func text(_ buf: UnsafeRawBufferPointer, _ f: CSVField) -> String {
        guard f.start < f.end, f.end <= buf.count else { return "" }
        let slice = UnsafeRawBufferPointer(rebasing: buf[f.start..<f.end])
        let s = String(decoding: slice, as: UTF8.self)
        return f.escaped ? s.replacingOccurrences(of: "\"\"", with: "\"") : s
    }

    /// The field's bytes (quotes removed; an escaped field is returned with its escapes, which
    /// only matters for text fields).
    @inline(__always)
    public static func bytes(_ buf: UnsafeRawBufferPointer, _ f: CSVField) -> UnsafeRawBufferPointer {
        guard f.start < f.end, f.end <= buf.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: buf[f.start..<f.end])
    }

    /// The length of a UTF-8 byte-order mark at the start of `buf` (0 or 3), or nil when fewer than
    /// three bytes are in and more may come.
    public static func byteOrderMark(_ buf: UnsafeRawBufferPointer, isFinal: Bool) -> Int? {
        if buf.count < 3 && !isFinal { return nil }
        return buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0
    }

    /// Picks the delimiter (`,`, `;` or tab) that splits a header line into the most fields.
    public static func guessDelimiter(_ line: UnsafeRawBufferPointer) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
        var quoted = false
        for b in line {
            if b == 0x22 { quoted.toggle() }
            if !quoted, counts[b] != nil { counts[b, default: 0] += 1 }
            if b == 0x0A { break }
        }
        let best = counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }
        return (best?.value ?? 0) > 0 ? (best?.key ?? 0x2C) : 0x2C
    }
}
