/// Little-endian bytes out, for the store's packed records: fixed-width integers, LEB128 varints,
/// and zigzag varints for signed differences (small either way, one byte from -64 to 63).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func put(_ raw: some Collection<UInt8>) { bytes.append(contentsOf: raw) }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    /// Rule names (at most 65,534, each cut to 65,535 bytes), as a count and length-prefixed names.
    mutating func names(_ names: [String]) {
        put(UInt16(names.count))
        for name in names {
            let utf8 = name.utf8.prefix(Int(UInt16.max))
            put(UInt16(utf8.count))
            put(utf8)
        }
    }
}

/// A kWh value stored as its whole watt-hours when it is exactly that many, as meters report to the
/// watt-hour or coarser: a zigzag varint of one to three bytes instead of the value's eight. Any
/// other value (finer, huge, not a number) keeps its eight bytes.
enum WattHours {
    /// The value's watt-hours, when reading them back (`kwh(_:)`) gives the very same bits.
    static func of(_ kwh: Double) -> Int64? {
        let wh = (kwh * 1000).rounded()
        guard abs(wh) < 1e15 else { return nil }
        let n = Int64(wh)
        return Self.kwh(n).bitPattern == kwh.bitPattern ? n : nil
    }

    static func kwh(_ wattHours: Int64) -> Double { Double(wattHours) / 1000 }
}

extension ByteWriter {
    /// A value as its watt-hours (`WattHours.of`, when given) or its bits.
    mutating func kwh(_ value: Double, wattHours: Int64?) {
        if let wattHours { signed(wattHours) } else { put(value.bitPattern) }
    }
}

extension ByteReader {
    /// A value written by `ByteWriter.kwh`, as watt-hours or as bits.
    mutating func kwh(wattHours: Bool) -> Double? {
        wattHours ? signed().map(WattHours.kwh) : take(UInt64.self).map(Double.init(bitPattern:))
    }
}

/// Bytes in, the other way: every read checks what is left, and a read past the end or a varint
/// longer than ten bytes is nil, never a crash. `at` says where a damaged record went wrong.
struct ByteReader {
    let raw: UnsafeRawBufferPointer
    private(set) var at = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var remaining: Int { raw.count - at }

    mutating func take<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard remaining >= MemoryLayout<T>.size else { return nil }
        let v = raw.loadUnaligned(fromByteOffset: at, as: T.self)
        at += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func varint() -> UInt64? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while at < raw.count, shift < 64 {
            let b = raw[at]
            at += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return shift == 63 && b > 1 ? nil : v }
            shift += 7
        }
        return nil
    }

    mutating func signed() -> Int64? {
        guard let u = varint() else { return nil }
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    mutating func string(length n: Int) -> String? {
        guard n >= 0, remaining >= n else { return nil }
        defer { at += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<at + n]), as: UTF8.self)
    }

    /// Rule names as `ByteWriter.names` wrote them.
    mutating func names() -> [String]? {
        guard let count = take(UInt16.self) else { return nil }
        var out: [String] = []
        for _ in 0..<count {
            guard let n = take(UInt16.self), let name = string(length: Int(n)) else { return nil }
            out.append(name)
        }
        return out
    }
}

/// The distinct rule names among a record's readings, in order of first sight, each coded by its
/// place + 1 (0: no rule), as the log's records and the blocks store them.
struct RuleNames {
    private(set) var names: [String] = []
    private var codes: [String: UInt64] = [:]

    init(_ rules: some Sequence<String?>) {
        for case let rule? in rules where codes[rule] == nil && names.count < Int(UInt16.max) - 1 {
            names.append(rule)
            codes[rule] = UInt64(names.count)
        }
    }

    func code(_ rule: String?) -> UInt64 { rule.flatMap { codes[$0] } ?? 0 }

    /// Bytes `ByteWriter.names` takes for them.
    var byteCount: Int { names.reduce(2) { $0 + 2 + $1.utf8.count } }
}
