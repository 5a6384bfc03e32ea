import Foundation
import MeterCore

/// One meter's readings of one UTC day, as one row of `reading_blocks` holds them: in start order,
/// each with its value, quality, rule, batch and version. A merge or an import rewrites the few
/// blocks it touches instead of inserting a B-tree row per reading, and a range read decodes whole
/// days.
///
/// Encoding (little-endian): format byte, the distinct rule names, then each reading as its start's
/// offset into the day, kWh bits, quality, rule (0: none, else the name's index + 1), batch and
/// version: 27 bytes a reading, fixed width. Decoding checks everything it reads: bytes that are cut
/// short, out of order or out of range are an error naming the block, never a crash.
struct ReadingBlock: Equatable, Sendable {
    /// One stored reading.
    struct Record: Equatable, Sendable {
        var start: Int64
        var kwh: Double
        var quality: Quality
        var rule: String?
        var batch: Int64?
        /// 1 when first stored, one more at each correction (the older values are in `reading_versions`).
        var version: Int32 = 1

        var value: StoredValue { StoredValue(kwh: kwh, quality: quality) }
    }

    struct Damaged: Error, CustomStringConvertible {
        var meter: Int64
        var day: Int64
        var reason: String
        var description: String { "reading_blocks row (meter \(meter), day \(day)) is damaged: \(reason)" }
    }

    static let secondsPerDay: Int64 = 86_400

    /// The UTC day a start falls in.
    static func day(of start: Int64) -> Int64 { CivilDate.floorDiv(start, secondsPerDay) }

    var day: Int64
    /// In ascending start order, one per start.
    var records: [Record]

    init(day: Int64, records: [Record] = []) {
        self.day = day
        self.records = records
    }

    private static let format: UInt8 = 1
    private static let recordSize = 27
    private static let noBatch = Int64.min

    func encode() -> [UInt8] {
        var rules: [String] = []
        var codes: [String: UInt16] = [:]
        for r in records {
            if let rule = r.rule, codes[rule] == nil, rules.count < Int(UInt16.max) - 1 {
                rules.append(rule)
                codes[rule] = UInt16(rules.count)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(16 + rules.reduce(0) { $0 + 2 + $1.utf8.count } + records.count * Self.recordSize)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(Self.format)
        put(UInt16(rules.count))
        for rule in rules {
            let bytes = Array(rule.utf8.prefix(Int(UInt16.max)))
            put(UInt16(bytes.count))
            out += bytes
        }
        put(UInt32(records.count))
        let base = day * Self.secondsPerDay
        for r in records {
            put(Int32(truncatingIfNeeded: r.start - base))
            put(r.kwh.bitPattern)
            out.append(r.quality.rawValue)
            put(r.rule.flatMap { codes[$0] } ?? 0)
            put(r.batch ?? Self.noBatch)
            put(r.version)
        }
        return out
    }

    static func decode(meter: Int64, day: Int64, _ bytes: UnsafeRawBufferPointer) throws -> ReadingBlock {
        var at = 0
        func fail(_ reason: String) -> Damaged { Damaged(meter: meter, day: day, reason: reason) }
        func take<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard bytes.count - at >= MemoryLayout<T>.size else { throw fail("cut short at byte \(at)") }
            let v = bytes.loadUnaligned(fromByteOffset: at, as: T.self)
            at += MemoryLayout<T>.size
            return T(littleEndian: v)
        }
        let f = try take(UInt8.self)
        guard f == format else { throw fail("unknown format \(f)") }
        var rules: [String] = []
        for _ in 0..<Int(try take(UInt16.self)) {
            let n = Int(try take(UInt16.self))
            guard bytes.count - at >= n else { throw fail("rule name cut short at byte \(at)") }
            rules.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + n]), as: UTF8.self))
            at += n
        }
        let count = Int(try take(UInt32.self))
        guard (bytes.count - at) == count * recordSize else {
            throw fail("\(count) readings do not fill the \(bytes.count - at) bytes left")
        }
        var records: [Record] = []
        records.reserveCapacity(count)
        let base = day * secondsPerDay
        for _ in 0..<count {
            let offset = Int64(try take(Int32.self)), bits = try take(UInt64.self), q = try take(UInt8.self)
            let code = Int(try take(UInt16.self)), batch = try take(Int64.self), version = try take(Int32.self)
            guard offset >= 0, offset < secondsPerDay else { throw fail("start \(offset) s into the day") }
            guard let quality = Quality(rawValue: q) else { throw fail("unknown quality \(q)") }
            guard code <= rules.count else { throw fail("rule \(code) of \(rules.count)") }
            let start = base + offset
            if let last = records.last, last.start >= start { throw fail("start \(start) not after \(last.start)") }
            records.append(Record(start: start, kwh: Double(bitPattern: bits), quality: quality, rule: code == 0 ? nil : rules[code - 1],
                                  batch: batch == noBatch ? nil : batch, version: version))
        }
        return ReadingBlock(day: day, records: records)
    }

    static func decode(meter: Int64, day: Int64, _ bytes: some ContiguousBytes) throws -> ReadingBlock {
        try bytes.withUnsafeBytes { try decode(meter: meter, day: day, $0) }
    }

    /// The record at a start, if stored.
    func record(at start: Int64) -> Record? {
        let i = index(of: start)
        return i < records.count && records[i].start == start ? records[i] : nil
    }

    /// The first index whose start is not before `start`.
    func index(of start: Int64) -> Int {
        var lo = 0, hi = records.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if records[mid].start < start { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
