import MeterCore

/// One row per meter and day, one column per interval: headed `00:00 - 00:30`, `00:30`, or
/// numbered `1` to `48`. Optional columns say the meter, whether the day was estimated, and
/// consumption or generation (generation rows become the meter `<id>-GEN`).
public struct WideDayLayout: TableLayout {
    public let kind = LayoutKind.wide
    public let meterColumn: Int?
    public let dateColumn: Int
    public let estimatedColumn: Int?
    public let directionColumn: Int?
    /// Each interval column and its start, in minutes after midnight.
    public let slots: [(column: Int, minute: Int)]
    public let interval: IntervalLength?
    let names: [String]

    public var summary: String {
        func n(_ i: Int?) -> String { i.map { $0 < names.count ? names[$0] : "#\($0 + 1)" } ?? "-" }
        return "wide-day: meter_id=\(n(meterColumn)), date=\(n(dateColumn)), \(slots.count) interval columns of \(interval?.minutes ?? 0) min from '\(n(slots.first?.column))'"
            + (estimatedColumn.map { ", estimated=\(n($0))" } ?? "") + (directionColumn.map { ", con/gen=\(n($0))" } ?? "")
    }

    static let dateNames = ["date", "readdate", "intervaldate", "readingdate", "day", "usagedate"]
    static let estimatedNames = ["estimated", "isestimated", "quality", "qualityflag", "estimate"]
    static let directionNames = ["congen", "direction", "flow", "registertype"]

    static func detect(_ head: [TableRow], options: ReadOptions) -> (WideDayLayout, Int)? {
        for (k, row) in head.prefix(20).enumerated() {
            let names = row.cells.map { $0.text.trimmingSpaces }
            guard let (slots, step) = intervalColumns(names), let interval = IntervalLength(minutes: step) else { continue }
            let keys = names.map(ColumnMapping.normalise)
            let used = Set(slots.map(\.column))
            func find(_ given: String?, _ guesses: [String]) -> Int? {
                if let given {
                    if given.hasPrefix("#"), let i = Int(given.dropFirst()), i >= 1, i <= names.count { return i - 1 }
                    return keys.firstIndex(of: ColumnMapping.normalise(given))
                }
                for g in guesses { if let i = keys.firstIndex(of: ColumnMapping.normalise(g)), !used.contains(i) { return i } }
                return nil
            }
            guard let date = find(options.mapping.time, dateNames) else { continue }
            let meter = find(options.mapping.meter, ColumnMapping.meterNames)
            if meter == nil && options.meter == nil { continue }
            return (WideDayLayout(meterColumn: meter, dateColumn: date, estimatedColumn: find(options.mapping.quality, estimatedNames),
                                  directionColumn: find(nil, directionNames), slots: slots, interval: interval, names: names), k)
        }
        return nil
    }

    /// Columns whose headers are times of day or interval numbers, evenly spaced over a day.
    static func intervalColumns(_ names: [String]) -> ([(column: Int, minute: Int)], Int)? {
        var byTime: [(Int, Int)] = []
        var byNumber: [(Int, Int)] = []
        for (i, n) in names.enumerated() {
            if let m = minuteOfDay(n) { byTime.append((i, m)) }
            if let k = Int(n), k >= 1, k <= 288 { byNumber.append((i, k)) }
        }
        if byTime.count >= 24 {
            let step = byTime[1].1 - byTime[0].1
            guard step > 0, 1440 % step == 0, byTime.count == 1440 / step,
                  zip(byTime, byTime.dropFirst()).allSatisfy({ $1.1 - $0.1 == step }) else { return nil }
            // Labels that name each interval's end (00:30 ... 24:00) start one step earlier.
            let shift = byTime[0].1 == step ? step : 0
            return (byTime.map { (column: $0.0, minute: $0.1 - shift) }, step)
        }
        if [24, 48, 96, 144, 288].contains(byNumber.count),
           byNumber.enumerated().allSatisfy({ $0.element.1 == $0.offset + 1 }) {
            let step = 1440 / byNumber.count
            return (byNumber.map { (column: $0.0, minute: ($0.1 - 1) * step) }, step)
        }
        return nil
    }

    /// `00:30`, `0:30`, `00:00 - 00:30` (the start), `24:00`: minutes after midnight.
    static func minuteOfDay(_ text: String) -> Int? {
        let first = text.split(separator: "-", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let parts = first.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), parts[1].count == 2,
              (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    public mutating func take(_ row: TableRow, decoder: inout RowDecoder, into result: inout IngestResult) {
        var meter = meterColumn.map { row[$0].text.trimmingSpaces }
        if let d = directionColumn, row[d].text.trimmingSpaces.lowercased().hasPrefix("gen") { meter = meter.map { $0 + "-GEN" } }
        let quality = estimatedColumn.flatMap { QualityWords.quality(row[$0].text) } ?? .actual
        let day = decoder.parseTime(row[dateColumn])
        for (column, minute) in slots {
            let time: Result<ParsedTime, TimestampError> = day.map { d in
                switch d {
                case .naive(let s): .naive(s + Int64(minute) * 60)
                case .instant(let s): .instant(s + Int64(minute) * 60)
                }
            }
            decoder.decode(meter: meter, time: time, timeText: { "\(row[dateColumn].text) +\(minute) min" }, value: row[column],
                           quality: quality, line: row.line, into: &result, raw: { row.raw })
        }
    }
}
