import MeterCore

/// AEMO's Meter Data File Format, NEM12: a 200 record opens a meter's channel (NMI, suffix, unit,
/// interval length), each 300 record is one day of interval values with a quality method, 400
/// records give per-interval quality to a day marked `V`, 500 and 900 records close. Times are NEM
/// time (+10:00) unless the user says otherwise. Meter ids are `<NMI>-<suffix>`.
///
/// A record out of order (a 300 before any 200), a day with the wrong number of values, or a unit
/// that is not energy is quarantined with its line and reason; the rest of the file goes on.
public struct NEM12Reader: TableLayout {
    public let kind = LayoutKind.nem12
    public private(set) var interval: IntervalLength?
    public var summary: String {
        "nem12: \(channels.count) channel\(channels.count == 1 ? "" : "s") (\(channels.prefix(4).joined(separator: ", "))\(channels.count > 4 ? ", ..." : "")), "
            + "\(interval?.minutes ?? 0)-minute intervals\(header.map { ", \($0)" } ?? ", no 100 header record")"
    }

    struct Channel {
        var meter: String
        var interval: Int
        var scale: Double?
        var unit: String
        var line: Int
    }

    struct Day {
        var row: TableRow
        var date: Int64
        var values: [Cell]
        var quality: [Quality?]
    }

    private var channel: Channel?
    private var day: Day?
    private var channels: [String] = []
    private var header: String?
    private var ended = false

    public init() {}

    /// Whether the first records are NEM12 ones (a 100 header naming NEM12, or a 200 record).
    static func detect(_ head: [TableRow]) -> Bool {
        guard let first = head.first else { return false }
        let t = first[0].text.trimmingSpaces
        if t == "100" { return first[1].text.trimmingSpaces.uppercased().hasPrefix("NEM12") }
        return t == "200" && first.cells.count >= 9 && Int(first[8].text.trimmingSpaces) != nil
    }

    public mutating func take(_ row: TableRow, decoder: inout RowDecoder, into result: inout IngestResult) {
        let type = row[0].text.trimmingSpaces
        switch type {
        case "100":
            header = "version \(row[1].text.trimmingSpaces), from \(row[3].text.trimmingSpaces) to \(row[4].text.trimmingSpaces)"
        case "200":
            flush(&decoder, &result)
            let nmi = row[1].text.trimmingSpaces
            let suffix = row[4].text.trimmingSpaces.isEmpty ? row[3].text.trimmingSpaces : row[4].text.trimmingSpaces
            let unit = row[7].text.trimmingSpaces.uppercased()
            let minutes = Int(row[8].text.trimmingSpaces) ?? 0
            guard !nmi.isEmpty, IntervalLength(minutes: minutes) != nil, [5, 15, 30].contains(minutes) || minutes == 1 || minutes == 60 else {
                reject(row, "nem12_bad_200", field: "IntervalLength",
                       "200 record: NMI '\(nmi)' with interval length '\(row[8].text)' (5, 15 or 30 expected)", &decoder, &result)
                channel = nil
                return
            }
            let scale: Double? = switch unit { case "KWH": 1; case "WH": 0.001; case "MWH": 1000; default: nil }
            let meter = suffix.isEmpty ? nmi : "\(nmi)-\(suffix)"
            channel = Channel(meter: meter, interval: minutes, scale: scale, unit: unit, line: row.line)
            if !channels.contains(meter) { channels.append(meter) }
            if interval == nil { interval = IntervalLength(minutes: minutes) }
        case "300":
            flush(&decoder, &result)
            guard let ch = channel else {
                reject(row, "nem12_record_order", field: "RecordIndicator", "300 record before any 200 record", &decoder, &result)
                return
            }
            let n = 1440 / ch.interval
            guard let date = Self.date(row[1].text.trimmingSpaces) else {
                reject(row, "invalid_timestamp", field: "IntervalDate", "300 record: IntervalDate '\(row[1].text)' is not YYYYMMDD", &decoder, &result)
                return
            }
            // The quality method follows the n values; a short record has a letter (or nothing) among them.
            let qualityText = row[2 + n].text.trimmingSpaces
            let valuesOK = (2..<(2 + n)).allSatisfy { i in
                let t = row[i].text.trimmingSpaces
                return !t.isEmpty && t.first.map { $0.isNumber || $0 == "-" || $0 == "." } == true
            }
            guard row.cells.count >= 2 + n, valuesOK, qualityText.first?.isLetter == true else {
                reject(row, "nem12_value_count", field: "IntervalValue",
                       "300 record for \(ch.meter): \(max(0, row.cells.count - 2)) fields after the date; interval length \(ch.interval) needs \(n) values then a quality method",
                       &decoder, &result)
                return
            }
            guard ch.scale != nil else {
                reject(row, "unsupported_unit", field: "UOM", "unit '\(ch.unit)' of \(ch.meter) (200 record, line \(ch.line)) is not energy (KWH, WH, MWH)", &decoder, &result)
                return
            }
            let q = Self.quality(qualityText)
            day = Day(row: row, date: date, values: Array(row.cells[2..<(2 + n)]), quality: Array(repeating: q, count: n))
        case "400":
            guard var d = day else {
                reject(row, "nem12_record_order", field: "RecordIndicator", "400 record not after a 300 record", &decoder, &result)
                return
            }
            let first = Int(row[1].text.trimmingSpaces) ?? 0, last = Int(row[2].text.trimmingSpaces) ?? 0
            guard first >= 1, last >= first, last <= d.values.count else {
                reject(row, "nem12_bad_400", field: "StartInterval",
                       "400 record: intervals \(row[1].text) to \(row[2].text) outside 1...\(d.values.count)", &decoder, &result)
                return
            }
            let q = Self.quality(row[3].text.trimmingSpaces)
            for i in (first - 1)..<last { d.quality[i] = q }
            day = d
        case "500":
            flush(&decoder, &result)
        case "900":
            flush(&decoder, &result)
            ended = true
        default:
            reject(row, "nem12_unknown_record", field: "RecordIndicator", "unknown record type '\(type.prefix(10))' (100, 200, 300, 400, 500 or 900)", &decoder, &result)
        }
    }

    public mutating func finish(decoder: inout RowDecoder, into result: inout IngestResult) {
        flush(&decoder, &result)
        if !ended { result.notes.append("no 900 end record: the file may be cut short") }
    }

    /// Writes the held day: one reading per interval, its quality from the 300 record or its 400 records.
    private mutating func flush(_ decoder: inout RowDecoder, _ result: inout IngestResult) {
        guard let d = day, let ch = channel else { return }
        day = nil
        decoder.scale = ch.scale ?? 1
        for (i, value) in d.values.enumerated() {
            let q = d.quality[i]
            // N: no data for the interval; the value is a placeholder.
            let cell: Cell = q == nil ? .empty : value
            let local = d.date + Int64(i * ch.interval * 60)
            decoder.decode(meter: ch.meter, time: .success(.naive(local)), timeText: { "\(d.row[1].text) interval \(i + 1)" },
                           value: cell, quality: q ?? .actual, line: d.row.line, into: &result, raw: { d.row.raw })
        }
    }

    private func reject(_ row: TableRow, _ reason: String, field: String, _ detail: String, _ decoder: inout RowDecoder,
                        _ result: inout IngestResult) {
        decoder.reject(&result, line: row.line, field: field, reason: reason, detail: detail, raw: row.raw)
    }

    /// A: actual; E: estimated; S, F: substituted; N: null (no value); V: variable (400 records say).
    static func quality(_ method: String) -> Quality? {
        switch method.first.map({ Character($0.uppercased()) }) {
        case "E": .estimated
        case "S", "F": .edited
        case "N": nil
        default: .actual
        }
    }

    /// `YYYYMMDD` as naive local midnight.
    static func date(_ text: String) -> Int64? {
        guard text.count == 8, let v = Int(text) else { return nil }
        let d = CivilDate(year: v / 10_000, month: v / 100 % 100, day: v % 100)
        return d.isValid ? d.daysSinceEpoch * 86_400 : nil
    }
}
