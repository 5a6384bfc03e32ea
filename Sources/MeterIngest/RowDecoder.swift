import MeterCore

/// Turns the fields of one input row (meter, time, value, optional quality) into a batch row or
/// a quarantine entry. Shared by every tabular reader so all of them judge a row the same way.
public struct RowDecoder: Sendable {
    public let origin: String
    public var defaultMeter: MeterID?
    public var decimalComma: Bool
    /// Multiplies every value (a file in Wh or MWh read as kWh).
    public var scale: Double = 1
    /// Seconds added to every time (an hour-ending file gives interval ends: minus one interval).
    public var timeShift: Int64 = 0
    /// Repeated local times resolved by file order (first = daylight time, second = standard time).
    public private(set) var repeatedTimesResolved = 0
    /// Rows whose time had no offset (so the zone decided the instant).
    public private(set) var naiveTimes = 0
    private var resolver: LocalTimeResolver
    private let numeric: NumericTimeFormat
    private let order: DateOrder
    private let fileOrder: Bool
    private var seenRepeated: Set<RepeatedKey> = []
    /// Meter id bytes (spaces and tabs around them left out) to the batch's meter index.
    private var interner = ByteInterner()
    private var internedToBatch: [Int32] = []
    /// Whether every meter of the batch came in through `interner`, one new id each: then an id the
    /// interner has not seen is new to the batch, and is added without looking it up there.
    private var onlyInterned = true
    private var dayCache = TimestampParser.DayCache()
    /// Distinct meter ids the input likely names first, in order (a gateway's previous request's):
    /// while rows name exactly these, one new meter after another, each is taken from here by
    /// comparing bytes, without hashing, checking or making its id. The first row that does not
    /// ends it, and the meters taken so far go to `interner` as any others would have.
    public var meterHint: [MeterID] = []
    private var hinted = 0
    private var hintLeft = false

    private struct RepeatedKey: Hashable, Sendable {
        var meter: Int32
        var local: Int64
    }

    public init(origin: String, time: TimeOptions, defaultMeter: MeterID? = nil, decimalComma: Bool = false) {
        self.origin = origin
        self.defaultMeter = defaultMeter
        self.decimalComma = decimalComma
        resolver = LocalTimeResolver(time.zone, ambiguous: time.ambiguous, nonexistent: time.nonexistent)
        numeric = time.numeric
        order = time.dateOrder
        fileOrder = time.ambiguous == .fileOrder
    }

    /// Decodes one row of byte fields into `result`; `raw` is only called when the row is rejected.
    public mutating func decode(meter meterBytes: UnsafeRawBufferPointer?, time: UnsafeRawBufferPointer,
                                value: UnsafeRawBufferPointer, quality: UnsafeRawBufferPointer?,
                                line: Int, into result: inout IngestResult, raw: () -> String) {
        result.rowsRead += 1
        // Meter.
        let meter: Int32
        if let meterBytes, meterBytes.count > 0 {
            let trimmed = Self.trimmed(meterBytes)
            if !hintLeft, hinted < meterHint.count, result.batch.meters.count == hinted, Self.spells(meterHint[hinted], trimmed) {
                meter = result.batch.appendNew(meterHint[hinted])
                hinted += 1
            } else {
                leaveHint()
                if let k = interner.find(trimmed) {
                    meter = internedToBatch[Int(k)]
                } else {
                    let fresh = onlyInterned && !trimmed.isEmpty && result.batch.meters.count == internedToBatch.count
                    guard let m = intern(trimmed, line: line, into: &result, raw: raw, fresh: fresh) else { return }
                    meter = m
                    _ = interner.insert(trimmed)
                    internedToBatch.append(meter)
                }
            }
        } else {
            guard let m = intern(nil, line: line, into: &result, raw: raw) else { return }
            meter = m
        }
        let parsed = TimestampParser.parse(time, numeric: numeric, order: order, cache: &dayCache)
        guard let start = place(parsed, text: { String(decoding: time, as: UTF8.self) }, meter: meter, line: line,
                                into: &result, raw: raw) else { return }
        // Value: a row with no number still goes to VEE, which quarantines it under its rule.
        var status = ValueStatus.number
        var kwh = Double.nan
        if let v = NumberParser.parse(value, decimalComma: decimalComma) {
            kwh = v * scale
        } else {
            status = value.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? .empty : .notANumber
        }
        var q = Quality.actual
        if let quality, quality.count > 0, let parsed = QualityWords.quality(String(decoding: quality, as: UTF8.self)) {
            q = parsed
        }
        result.batch.append(meter: meter, start: start, kwh: kwh, status: status, quality: q, line: Int32(clamping: line))
    }

    /// Decodes one row of cells (a spreadsheet row, a layout's derived row) into `result`.
    public mutating func decode(meter meterText: String?, time: Cell, value: Cell, quality: Quality = .actual,
                                line: Int, into result: inout IngestResult, raw: () -> String) {
        decode(meter: meterText, time: parseTime(time), timeText: { time.text }, value: value, quality: quality,
               line: line, into: &result, raw: raw)
    }

    /// Reads a time cell: text by the parser, a date-formatted number as an Excel serial.
    public mutating func parseTime(_ time: Cell) -> Result<ParsedTime, TimestampError> {
        switch time {
        case .date(let serial):
            return Self.excelSerial(serial)
        default:
            var text = time.text
            return text.withUTF8 { TimestampParser.parse(UnsafeRawBufferPointer($0), numeric: numeric, order: order, cache: &dayCache) }
        }
    }

    /// Decodes one row whose time the caller has already read (a wide layout's day plus a column's offset).
    public mutating func decode(meter meterText: String?, time parsed: Result<ParsedTime, TimestampError>, timeText: () -> String,
                                value: Cell, quality: Quality = .actual, line: Int, into result: inout IngestResult, raw: () -> String) {
        result.rowsRead += 1
        guard let meter = intern(meterText, line: line, into: &result, raw: raw) else { return }
        guard let start = place(parsed, text: timeText, meter: meter, line: line, into: &result, raw: raw) else { return }
        var status = ValueStatus.number
        var kwh = Double.nan
        switch value {
        case .number(let d), .date(let d):
            if d.isFinite { kwh = d * scale } else { status = .notANumber }
        case .empty:
            status = .empty
        case .bool:
            status = .notANumber
        case .text(var s):
            if let v = s.withUTF8({ NumberParser.parse(UnsafeRawBufferPointer($0), decimalComma: decimalComma) }) {
                kwh = v * scale
            } else {
                status = value.isEmpty ? .empty : .notANumber
            }
        }
        result.batch.append(meter: meter, start: start, kwh: kwh, status: status, quality: quality, line: Int32(clamping: line))
    }

    /// A naive time from an Excel serial date (1900 date system).
    public static func excelSerial(_ serial: Double) -> Result<ParsedTime, TimestampError> {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return .failure(.outOfRange) }
        let days = serial.rounded(.down)
        let seconds = Int64(((serial - days) * 86_400).rounded())
        return .success(.naive((Int64(days) - 25_569) * 86_400 + seconds))
    }

    /// Whether an id is these bytes.
    private static func spells(_ id: MeterID, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = id.rawValue.utf8
        guard utf8.count == bytes.count else { return false }
        return utf8.withContiguousStorageIfAvailable { mine in
            for i in 0..<mine.count where mine[i] != bytes[i] { return false }
            return true
        } ?? utf8.elementsEqual(bytes)
    }

    /// Stops taking meters from `meterHint`: those taken so far, the batch's first, go to the
    /// interner under their batch indexes.
    private mutating func leaveHint() {
        guard !hintLeft else { return }
        hintLeft = true
        for k in 0..<hinted {
            var name = meterHint[k].rawValue
            _ = name.withUTF8 { interner.insert(UnsafeRawBufferPointer($0)) }
            internedToBatch.append(Int32(k))
        }
    }

    /// The batch's index of a meter, or nil after quarantining the row.
    private mutating func intern(_ text: String?, line: Int, into result: inout IngestResult, raw: () -> String) -> Int32? {
        leaveHint()
        var text = text ?? ""
        return text.withUTF8 { intern(Self.trimmed(UnsafeRawBufferPointer($0)), line: line, into: &result, raw: raw, fresh: false) }
    }

    /// A field without the spaces and tabs around it.
    private static func trimmed(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var bytes = field[...]
        while let f = bytes.first, f == 0x20 || f == 0x09 { bytes = bytes.dropFirst() }
        while let l = bytes.last, l == 0x20 || l == 0x09 { bytes = bytes.dropLast() }
        return UnsafeRawBufferPointer(rebasing: bytes)
    }

    /// The same from a trimmed field's bytes, the id checked byte by byte (every new meter of every
    /// live request comes through here); `fresh`: the batch is known not to have it.
    private mutating func intern(_ trimmed: UnsafeRawBufferPointer, line: Int, into result: inout IngestResult, raw: () -> String,
                                 fresh: Bool) -> Int32? {
        if trimmed.isEmpty {
            onlyInterned = false
            if let d = defaultMeter { return result.batch.intern(d) }
            reject(&result, line: line, field: "meter_id", reason: "missing_meter_id", detail: "meter id is empty", raw: raw())
            return nil
        }
        guard let id = MeterID(utf8: trimmed) else {
            reject(&result, line: line, field: "meter_id", reason: "invalid_meter_id",
                   detail: "'\(String(decoding: trimmed, as: UTF8.self).prefix(80))' is not a meter id (1-64 of A-Z a-z 0-9 . _ : -)", raw: raw())
            return nil
        }
        if fresh { return result.batch.appendNew(id) }
        onlyInterned = false
        return result.batch.intern(id)
    }

    /// The UTC start of a row's interval, or nil after quarantining the row.
    private mutating func place(_ parsed: Result<ParsedTime, TimestampError>, text: () -> String, meter: Int32, line: Int,
                                into result: inout IngestResult, raw: () -> String) -> Int64? {
        switch parsed {
        case .failure(let e):
            let hint = e == .ambiguousDateOrder ? "; give the date order (--date-order dmy or mdy)" : ""
            reject(&result, line: line, field: "timestamp", reason: e == .empty ? "missing_timestamp" : "invalid_timestamp",
                   detail: "\(e): '\(text().prefix(80))'\(hint)", raw: raw(), meter: result.batch.meters[Int(meter)])
            return nil
        case .success(let p):
            if case .naive = p { naiveTimes += 1 }
            var shifted = p
            if timeShift != 0 {
                switch p {
                case .instant(let s): shifted = .instant(s + timeShift)
                case .naive(let s): shifted = .naive(s + timeShift)
                }
            }
            switch resolver.resolve(shifted) {
            case .success(let s):
                return s
            case .failure(let e):
                if e == .ambiguous, fileOrder, case .naive(let local) = shifted, let both = resolver.instants(ofAmbiguous: local) {
                    repeatedTimesResolved += 1
                    return seenRepeated.insert(RepeatedKey(meter: meter, local: local)).inserted ? both.earlier : both.later
                }
                reject(&result, line: line, field: "timestamp", reason: e.reason,
                       detail: "\(e) (\(resolver.spec)): '\(text())'", raw: raw(), meter: result.batch.meters[Int(meter)])
                return nil
            }
        }
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
