import MeterCore

/// Turns the fields of one input row (meter, time, value, optional quality) into a batch row or
/// a quarantine entry. Shared by every tabular reader so all of them judge a row the same way.
public struct RowDecoder: Sendable {
    public let origin: String
    public var defaultMeter: MeterID?
    public var decimalComma: Bool
    private var resolver: LocalTimeResolver
    private let numeric: NumericTimeFormat
    /// Meter id bytes as they appeared in the input to the batch's meter index.
    private var interner = ByteInterner()
    private var internedToBatch: [Int32] = []
    private var dayCache = TimestampParser.DayCache()

    public init(origin: String, time: TimeOptions, defaultMeter: MeterID? = nil, decimalComma: Bool = false) {
        self.origin = origin
        self.defaultMeter = defaultMeter
        self.decimalComma = decimalComma
        resolver = LocalTimeResolver(time.zone, ambiguous: time.ambiguous, nonexistent: time.nonexistent)
        numeric = time.numeric
    }

    /// Decodes one row into `result`; `raw` is only called when the row is rejected.
    public mutating func decode(meter meterBytes: UnsafeRawBufferPointer?, time: UnsafeRawBufferPointer,
                                value: UnsafeRawBufferPointer, quality: UnsafeRawBufferPointer?,
                                line: Int, into result: inout IngestResult, raw: () -> String) {
        result.rowsRead += 1
        // Meter.
        let meter: Int32
        if let meterBytes, meterBytes.count > 0 {
            if let k = interner.find(meterBytes) {
                meter = internedToBatch[Int(k)]
            } else {
                let trimmed = String(decoding: meterBytes, as: UTF8.self).trimmingSpaces
                guard let id = MeterID(trimmed) else {
                    reject(&result, line: line, field: "meter_id", reason: "invalid_meter_id",
                           detail: "'\(trimmed.prefix(80))' is not a meter id (1-64 of A-Z a-z 0-9 . _ : -)", raw: raw())
                    return
                }
                meter = result.batch.intern(id)
                _ = interner.insert(meterBytes)
                internedToBatch.append(meter)
            }
        } else if let d = defaultMeter {
            meter = result.batch.intern(d)
        } else {
            reject(&result, line: line, field: "meter_id", reason: "missing_meter_id", detail: "meter id is empty", raw: raw())
            return
        }
        // Time.
        let start: Int64
        switch TimestampParser.parse(time, numeric: numeric, cache: &dayCache) {
        case .failure(let e):
            reject(&result, line: line, field: "timestamp", reason: e == .empty ? "missing_timestamp" : "invalid_timestamp",
                   detail: "\(e): '\(String(decoding: time, as: UTF8.self).prefix(80))'", raw: raw(), meter: result.batch.meters[Int(meter)])
            return
        case .success(let parsed):
            switch resolver.resolve(parsed) {
            case .success(let s): start = s
            case .failure(let e):
                reject(&result, line: line, field: "timestamp", reason: e.reason,
                       detail: "\(e) (\(resolver.spec)): '\(String(decoding: time, as: UTF8.self))'", raw: raw(), meter: result.batch.meters[Int(meter)])
                return
            }
        }
        // Value: a row with no number still goes to VEE, which quarantines it under its rule.
        var status = ValueStatus.number
        var kwh = Double.nan
        if let v = NumberParser.parse(value, decimalComma: decimalComma) {
            kwh = v
        } else {
            status = value.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? .empty : .notANumber
        }
        var q = Quality.actual
        if let quality, quality.count > 0, let parsed = Quality(name: String(decoding: quality, as: UTF8.self).trimmingSpaces) {
            q = parsed
        }
        result.batch.append(meter: meter, start: start, kwh: kwh, status: status, quality: q, line: Int32(clamping: line))
    }

    public mutating func reject(_ result: inout IngestResult, line: Int, field: String?, reason: String, detail: String,
                                raw: String, meter: MeterID? = nil) {
        result.problems.append(QuarantineEntry(origin: origin, line: line, field: field, reason: reason,
                                               detail: detail, raw: raw, meter: meter))
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
