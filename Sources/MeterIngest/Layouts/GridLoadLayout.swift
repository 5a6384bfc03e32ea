import Foundation
import MeterCore

/// A grid operator's load file: a time column and one column of average power per region or
/// zone (`DAYTON_MW`, `load_kw`). Each column becomes a meter named for it; power over the interval
/// becomes energy in kWh. Times name the end of each hour, as grid operators publish them, unless
/// a mapping says they are starts.
public struct GridLoadLayout: TableLayout {
    public let kind = LayoutKind.gridLoad
    public let timeColumn: Int
    /// Each load column, the meter it becomes, and kWh per unit over one interval.
    public let loads: [(column: Int, meter: String, scale: Double, unit: String)]
    public let interval: IntervalLength?
    public let timeIsEnd: Bool
    let names: [String]

    public var summary: String {
        let cols = loads.map { "\(names[$0.column])=\($0.meter) (\($0.unit))" }.joined(separator: ", ")
        return "grid-load: time=\(names[timeColumn]) (\(timeIsEnd ? "interval ending" : "interval starting")), "
            + "\(interval?.minutes ?? 0)-minute load \(cols), stored as kWh per interval"
    }

    static let timeNames = ["datetime", "timestamp", "time", "date", "hour", "datetimebeginningept", "interval_end", "period"]

    /// Column names that mean the whole system's load in MW when no unit is written.
    static let bareLoadNames: Set<String> = ["demand", "load", "totalload", "systemload", "totaldemand", "operationaldemand"]

    static func detect(_ head: [TableRow], options: ReadOptions, decoder: inout RowDecoder, origin: String) -> (GridLoadLayout, Int)? {
        for (k, row) in head.prefix(20).enumerated() {
            let names = row.cells.map { $0.text.trimmingSpaces }
            let keys = names.map(ColumnMapping.normalise)
            let time: Int? = {
                if let t = options.mapping.time { return keys.firstIndex(of: ColumnMapping.normalise(t)) }
                return timeNames.lazy.compactMap { keys.firstIndex(of: ColumnMapping.normalise($0)) }.first
            }()
            guard let time else { continue }
            // A meter column means the long layout.
            if ColumnMapping.meterNames.contains(where: { keys.contains(ColumnMapping.normalise($0)) }) { continue }
            var loads: [(Int, String, String)] = []
            for (i, n) in names.enumerated() where i != time {
                if let (meter, unit) = loadColumn(n) {
                    loads.append((i, meter, unit))
                } else if bareLoadNames.contains(keys[i]) {
                    // A bare "Demand": the region is the file's name.
                    let stem = ((origin as NSString).lastPathComponent as NSString).deletingPathExtension
                    let id = String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" ? $0 : "_" }.prefix(64))
                    loads.append((i, MeterID(id) != nil ? id : "load", "MW"))
                }
            }
            guard !loads.isEmpty else { continue }
            let body = head[(k + 1)...]
            let interval = options.interval ?? IntervalGuess.fromTimes(body.map { ("", decoder.parseTime($0[time])) })
            let hours = Double(interval?.minutes ?? 60) / 60
            let scaled = loads.map { (column: $0.0, meter: $0.1, scale: ($0.2 == "MW" ? 1000 : 1) * hours, unit: $0.2) }
            let timeIsEnd = options.mappingFile?.timeIsEnd ?? true
            return (GridLoadLayout(timeColumn: time, loads: scaled, interval: interval, timeIsEnd: timeIsEnd, names: names), k)
        }
        return nil
    }

    /// `DAYTON_MW` -> (`DAYTON`, MW); `Load (kW)` -> (`Load`, kW).
    static func loadColumn(_ name: String) -> (String, String)? {
        let upper = name.uppercased()
        for unit in ["MW", "KW"] {
            for suffix in ["_\(unit)", " \(unit)", "(\(unit))", " (\(unit))", "-\(unit)", unit] where upper.hasSuffix(suffix) {
                let stem = String(name.dropLast(suffix.count)).trimmingSpaces
                let id = String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" ? $0 : "_" }.prefix(64))
                guard !id.isEmpty, MeterID(id) != nil else { return nil }
                return (id, unit == "MW" ? "MW" : "kW")
            }
        }
        return nil
    }

    public mutating func take(_ row: TableRow, decoder: inout RowDecoder, into result: inout IngestResult) {
        for (column, meter, scale, _) in loads {
            decoder.scale = scale
            decoder.decode(meter: meter, time: row[timeColumn], value: row[column], line: row.line, into: &result, raw: { row.raw })
        }
    }
}
