import MeterCore

/// One reading per row: the meter, the interval's start (and optionally its end), the value and
/// optional quality and source columns. Read from cells; CSV files of this layout take the
/// byte-level fast path in `CSVReader` instead, with the same decoder.
public struct LongLayout: TableLayout {
    public let kind = LayoutKind.long
    public let columns: ColumnMapping.Resolved
    public let interval: IntervalLength?
    public var summary: String { "long: \(columns.summary)" }

    public init(columns: ColumnMapping.Resolved, interval: IntervalLength?) {
        self.columns = columns
        self.interval = interval
    }

    /// The layout if some row of `head` is a header naming the columns `options` asks for.
    static func detect(_ head: [TableRow], options: ReadOptions, decoder: inout RowDecoder) -> (LongLayout, Int)? {
        for (k, row) in head.prefix(20).enumerated() {
            let names = row.cells.map { $0.text.trimmingSpaces }
            guard case .success(let cols) = options.mapping.resolve(header: names, meterOptional: options.meter != nil) else { continue }
            let body = head[(k + 1)...]
            var interval: IntervalLength?
            if let e = cols.end {
                // Start and end: the length is their difference, or one minute more for an inclusive end (0:00 to 0:29).
                var lengths: [Int64: Int] = [:]
                for r in body.prefix(100) {
                    guard case .success(let s) = decoder.parseTime(r[cols.time]), case .success(let t) = decoder.parseTime(r[e]) else { continue }
                    lengths[t.seconds - s.seconds, default: 0] += 1
                }
                if let (d, _) = lengths.max(by: { $0.value < $1.value }) {
                    interval = IntervalLength(minutes: Int(d / 60)) ?? IntervalLength(minutes: Int(d / 60) + 1)
                }
            }
            if interval == nil {
                interval = IntervalGuess.fromTimes(body.prefix(200).map { r in
                    (cols.meter.map { r[$0].text } ?? "", decoder.parseTime(r[cols.time]))
                })
            }
            return (LongLayout(columns: cols, interval: interval), k)
        }
        return nil
    }

    public mutating func take(_ row: TableRow, decoder: inout RowDecoder, into result: inout IngestResult) {
        let quality = columns.quality.flatMap { QualityWords.quality(row[$0].text) } ?? .actual
        let meter = columns.meter.map { row[$0].text }
        decoder.decode(meter: meter, time: row[columns.time], value: row[columns.value], quality: quality,
                       line: row.line, into: &result, raw: { row.raw })
        if let s = columns.source, let m = meter.flatMap({ MeterID($0.trimmingSpaces) }), let src = SourceID(row[s].text.trimmingSpaces) {
            result.sources[m] = src
        }
    }
}

extension ParsedTime {
    /// The seconds either case carries (for differences between two times of one file).
    var seconds: Int64 {
        switch self {
        case .instant(let s), .naive(let s): return s
        }
    }
}

/// The interval a series' times imply: the most common step between a meter's consecutive rows.
enum IntervalGuess {
    static func fromTimes(_ rows: [(meter: String, time: Result<ParsedTime, TimestampError>)]) -> IntervalLength? {
        var last: [String: Int64] = [:]
        var steps: [Int64: Int] = [:]
        for (m, t) in rows {
            guard case .success(let p) = t else { continue }
            if let prev = last[m], prev != p.seconds { steps[abs(p.seconds - prev), default: 0] += 1 }
            last[m] = p.seconds
        }
        guard let (d, _) = steps.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) else { return nil }
        return IntervalLength(minutes: Int(d / 60))
    }
}
