/// A small streaming XML tokenizer for the parts of a workbook: fed chunks of bytes as they are
/// inflated, it reports element starts (local name and attributes), ends and text, and keeps an
/// unfinished tag for the next chunk. Never reads outside its buffer; malformed markup is an error
/// with the byte offset, never a trap.
struct XMLPushScanner {
    enum Event {
        case start(name: Substring, attributes: [(name: Substring, value: String)], selfClosing: Bool)
        case end(name: Substring)
        case text(String)
    }

    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var message: String
        var description: String { "malformed XML at byte \(offset): \(message)" }
    }

    private var pending: [UInt8] = []
    private var consumed = 0
    /// Longest tag or text run accepted: a corrupt part does not grow the buffer without bound.
    var maxToken = 16 << 20

    mutating func feed(_ bytes: some Collection<UInt8>, isFinal: Bool = false, _ handle: (Event) throws -> Void) throws {
        pending.append(contentsOf: bytes)
        var i = 0
        let n = pending.count
        try pending.withUnsafeBufferPointer { buf in
            while i < n {
                if buf[i] != 0x3C { // text up to the next '<'
                    var j = i
                    while j < n, buf[j] != 0x3C { j += 1 }
                    if j == n && !isFinal { break }
                    try handle(.text(Self.decode(buf, i, j)))
                    i = j
                    continue
                }
                // A tag: find its '>' outside quotes.
                var j = i + 1
                var quote: UInt8 = 0
                if j + 2 < n, buf[j] == 0x21, buf[j + 1] == 0x2D, buf[j + 2] == 0x2D { // <!-- ... -->
                    var k = j + 3
                    var found = false
                    while k + 2 < n {
                        if buf[k] == 0x2D, buf[k + 1] == 0x2D, buf[k + 2] == 0x3E { found = true; break }
                        k += 1
                    }
                    if !found { if isFinal { throw Malformed(offset: consumed + i, message: "comment not closed") } else { break } }
                    i = k + 3
                    continue
                }
                if j + 8 < n, buf[j] == 0x21, buf[j + 1] == 0x5B { // <![CDATA[ ... ]]>
                    var k = j + 8
                    var found = false
                    while k + 2 < n {
                        if buf[k] == 0x5D, buf[k + 1] == 0x5D, buf[k + 2] == 0x3E { found = true; break }
                        k += 1
                    }
                    if !found { if isFinal { throw Malformed(offset: consumed + i, message: "CDATA not closed") } else { break } }
                    try handle(.text(String(decoding: UnsafeBufferPointer(rebasing: buf[(j + 8)..<k]), as: UTF8.self)))
                    i = k + 3
                    continue
                }
                while j < n {
                    let b = buf[j]
                    if quote != 0 { if b == quote { quote = 0 } } else if b == 0x22 || b == 0x27 { quote = b } else if b == 0x3E { break }
                    j += 1
                }
                if j == n {
                    if isFinal { throw Malformed(offset: consumed + i, message: "tag not closed") }
                    break
                }
                try tag(buf, i + 1, j, handle)
                i = j + 1
            }
        }
        if i > maxToken || (n - i) > maxToken { throw Malformed(offset: consumed + i, message: "a tag or text longer than \(maxToken) bytes") }
        pending.removeFirst(i)
        consumed += i
    }

    private func tag(_ buf: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, _ handle: (Event) throws -> Void) throws {
        guard lo < hi else { throw Malformed(offset: consumed + lo, message: "empty tag") }
        let first = buf[lo]
        if first == 0x3F || first == 0x21 { return } // <?xml ...?>, <!DOCTYPE ...>
        if first == 0x2F {
            var e = hi
            while e > lo + 1, buf[e - 1] == 0x20 || buf[e - 1] == 0x0A || buf[e - 1] == 0x0D || buf[e - 1] == 0x09 { e -= 1 }
            try handle(.end(name: Self.localName(buf, lo + 1, e)))
            return
        }
        var end = hi
        let selfClosing = buf[hi - 1] == 0x2F
        if selfClosing { end -= 1 }
        var i = lo
        while i < end, !Self.isSpace(buf[i]) { i += 1 }
        let name = Self.localName(buf, lo, i)
        var attributes: [(name: Substring, value: String)] = []
        while i < end {
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            if i >= end { break }
            let ns = i
            while i < end, buf[i] != 0x3D, !Self.isSpace(buf[i]) { i += 1 }
            let an = Self.localName(buf, ns, i)
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end, buf[i] == 0x3D else { throw Malformed(offset: consumed + i, message: "attribute '\(an)' without a value") }
            i += 1
            while i < end, Self.isSpace(buf[i]) { i += 1 }
            guard i < end, buf[i] == 0x22 || buf[i] == 0x27 else { throw Malformed(offset: consumed + i, message: "attribute value not quoted") }
            let q = buf[i]
            i += 1
            let vs = i
            while i < end, buf[i] != q { i += 1 }
            guard i < end else { throw Malformed(offset: consumed + i, message: "attribute value not closed") }
            attributes.append((an, Self.decode(buf, vs, i)))
            i += 1
        }
        try handle(.start(name: name, attributes: attributes, selfClosing: selfClosing))
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// The name without its namespace prefix (`x:row` is `row`).
    static func localName(_ buf: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Substring {
        var s = lo
        for k in lo..<hi where buf[k] == 0x3A { s = k + 1 }
        return Substring(String(decoding: UnsafeBufferPointer(rebasing: buf[s..<hi]), as: UTF8.self))
    }

    /// Text with the five entities and numeric character references undone.
    static func decode(_ buf: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> String {
        let raw = UnsafeBufferPointer(rebasing: buf[lo..<hi])
        guard raw.contains(0x26) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = lo
        while i < hi {
            if buf[i] == 0x26, let semi = (i + 1..<min(hi, i + 12)).first(where: { buf[$0] == 0x3B }) {
                let name = String(decoding: UnsafeBufferPointer(rebasing: buf[(i + 1)..<semi]), as: UTF8.self)
                var scalar: Unicode.Scalar?
                switch name {
                case "amp": scalar = "&"
                case "lt": scalar = "<"
                case "gt": scalar = ">"
                case "quot": scalar = "\""
                case "apos": scalar = "'"
                default:
                    if name.hasPrefix("#x") || name.hasPrefix("#X") { scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                    else if name.hasPrefix("#") { scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init) }
                }
                if let scalar {
                    out.append(contentsOf: Array(String(scalar).utf8))
                    i = semi + 1
                    continue
                }
            }
            out.append(buf[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
