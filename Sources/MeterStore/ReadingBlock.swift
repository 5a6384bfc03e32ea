import Foundation
import MeterCore

/// One meter's readings of one UTC day, as one row of `reading_blocks` holds them: in start order,
/// each with its value, quality, rule, batch and version. A merge or an import rewrites the few
/// blocks it touches instead of inserting a B-tree row per reading, and a range read decodes whole
/// days.
///
/// Encoding (little-endian, format 2): the distinct rule names, the count, then each reading as
/// the difference of its start from the one before (a zigzag varint, from the day's midnight for
/// the first), its kWh bits, its quality, rule and whether it has a batch (a varint), the difference
/// of its batch from the last one given, and its version (varints): 12 to 14 bytes a reading.
/// Format 1 (27 fixed bytes a reading) is still read. Decoding checks everything it reads: bytes
/// that are cut short, out of order or out of range are an error naming the block, never a crash.
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

    func encode() -> [UInt8] {
        let rules = RuleNames(records.lazy.map { $0.rule })
        var w = ByteWriter(capacity: 8 + rules.byteCount + records.count * 14)
        w.put(UInt8(2))
        w.names(rules.names)
        w.put(UInt32(records.count))
        let base = day * Self.secondsPerDay
        var offset: Int64 = 0, batch: Int64 = 0
        for r in records {
            w.signed((r.start &- base) &- offset)
            w.put(r.kwh.bitPattern)
            w.varint(rules.code(r.rule) << 4 | (r.batch == nil ? 8 : 0) | UInt64(r.quality.rawValue))
            if let b = r.batch {
                w.signed(b &- batch)
                batch = b
            }
            w.varint(UInt64(UInt32(bitPattern: r.version)))
            offset = r.start &- base
        }
        return w.bytes
    }

    static func decode(meter: Int64, day: Int64, _ bytes: UnsafeRawBufferPointer) throws -> ReadingBlock {
        var r = ByteReader(bytes)
        func damaged(_ reason: String) -> Damaged { Damaged(meter: meter, day: day, reason: reason) }
        func cut() -> Damaged { damaged("cut short at byte \(r.at)") }
        guard let format = r.take(UInt8.self) else { throw cut() }
        guard format == 1 || format == 2 else { throw damaged("unknown format \(format)") }
        guard let rules = r.names() else { throw damaged("rule name cut short at byte \(r.at)") }
        guard let count = r.take(UInt32.self).map(Int.init) else { throw cut() }
        if format == 1 {
            guard r.remaining == count * 27 else { throw damaged("\(count) readings do not fill the \(r.remaining) bytes left") }
        } else {
            guard count <= r.remaining / 11 else { throw damaged("\(count) readings in the \(r.remaining) bytes left") }
        }
        var records: [Record] = []
        records.reserveCapacity(count)
        let base = day * secondsPerDay
        var offset: Int64 = 0, lastBatch: Int64 = 0
        for _ in 0..<count {
            let bits: UInt64, q: UInt8, code: Int, batch: Int64?, version: Int32
            if format == 1 {
                guard let o = r.take(Int32.self), let b = r.take(UInt64.self), let qq = r.take(UInt8.self), let c = r.take(UInt16.self),
                      let bb = r.take(Int64.self), let v = r.take(Int32.self) else { throw cut() }
                offset = Int64(o); bits = b; q = qq; code = Int(c); batch = bb == Int64.min ? nil : bb; version = v
            } else {
                guard let d = r.signed(), let b = r.take(UInt64.self), let tag = r.varint() else { throw cut() }
                guard tag >> 4 <= UInt64(rules.count) else { throw damaged("rule \(tag >> 4) of \(rules.count)") }
                offset = offset &+ d; bits = b; q = UInt8(tag & 7); code = Int(tag >> 4)
                if tag & 8 == 0 {
                    guard let db = r.signed() else { throw cut() }
                    lastBatch = lastBatch &+ db
                    batch = lastBatch
                } else {
                    batch = nil
                }
                guard let v = r.varint() else { throw cut() }
                guard v <= UInt64(UInt32.max) else { throw damaged("version \(v)") }
                version = Int32(bitPattern: UInt32(v))
            }
            guard offset >= 0, offset < secondsPerDay else { throw damaged("start \(offset) s into the day") }
            guard let quality = Quality(rawValue: q) else { throw damaged("unknown quality \(q)") }
            guard code <= rules.count else { throw damaged("rule \(code) of \(rules.count)") }
            let start = base + offset
            if let last = records.last, last.start >= start { throw damaged("start \(start) not after \(last.start)") }
            records.append(Record(start: start, kwh: Double(bitPattern: bits), quality: quality, rule: code == 0 ? nil : rules[code - 1],
                                  batch: batch, version: version))
        }
        guard r.remaining == 0 else { throw damaged("\(r.remaining) bytes left over") }
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
