import Foundation
import MeterCore

/// One meter's readings of one UTC day, as one row of `day_blocks` holds them: in start order,
/// each with its value, quality, rule, batch and version. A merge or an import rewrites the few
/// blocks it touches instead of inserting a B-tree row per reading, and a range read decodes whole
/// days.
///
/// Encoding (little-endian, format 3): the distinct rule names, the count, then each reading as
/// the difference of its start from the one before (a zigzag varint, from the day's midnight for
/// the first), its quality, rule, value's form and whether it has a batch (a varint), its value (in
/// `WattHours` when exact, else its bits), the difference of its batch from the last one given, and
/// its version (varints): 6 to 8 bytes a reading of watt-hours, 12 to 14 of others. Formats 1 (27
/// fixed bytes a reading) and 2 (always the value's bits) are still read. Decoding checks
/// everything it reads: bytes that are cut short, out of order or out of range are an error naming
/// the block, never a crash.
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
        var description: String { "day_blocks row (meter \(meter), day \(day)) is damaged: \(reason)" }
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
        w.put(UInt8(3))
        w.names(rules.names)
        w.put(UInt32(records.count))
        let base = day * Self.secondsPerDay
        var offset: Int64 = 0, batch: Int64 = 0
        for r in records {
            let wh = WattHours.of(r.kwh)
            w.signed((r.start &- base) &- offset)
            w.varint(rules.code(r.rule) << 5 | (wh == nil ? 0 : 16) | (r.batch == nil ? 8 : 0) | UInt64(r.quality.rawValue))
            w.kwh(r.kwh, wattHours: wh)
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
        guard (1...3).contains(format) else { throw damaged("unknown format \(format)") }
        guard let rules = r.names() else { throw damaged("rule name cut short at byte \(r.at)") }
        guard let count = r.take(UInt32.self).map(Int.init) else { throw cut() }
        if format == 1 {
            guard r.remaining == count * 27 else { throw damaged("\(count) readings do not fill the \(r.remaining) bytes left") }
        } else {
            // The fewest bytes a reading takes in the format.
            guard count <= r.remaining / (format == 2 ? 11 : 4) else { throw damaged("\(count) readings in the \(r.remaining) bytes left") }
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
                // Format 2: offset, bits, tag (rule << 4 | no batch: 8 | quality); 3: offset, tag
                // (rule << 5 | watt-hours: 16 | no batch: 8 | quality), then the value in its form.
                let d: Int64, tag: UInt64
                if format == 2 {
                    guard let dd = r.signed(), let b = r.take(UInt64.self), let t = r.varint() else { throw cut() }
                    d = dd; bits = b; tag = t
                    code = Int(t >> 4)
                } else {
                    guard let dd = r.signed(), let t = r.varint(), let v = r.kwh(wattHours: t & 16 != 0) else { throw cut() }
                    d = dd; bits = v.bitPattern; tag = t
                    code = Int(t >> 5)
                }
                guard code <= rules.count else { throw damaged("rule \(code) of \(rules.count)") }
                offset = offset &+ d; q = UInt8(tag & 7)
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
