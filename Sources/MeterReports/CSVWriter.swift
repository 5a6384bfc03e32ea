import Foundation
import MeterAnalytics
import MeterCore

/// Writes readings and rollups as CSV in the product's data shapes, with RFC 4180 quoting.
public enum CSVWriter {
    public static let readingHeader = "meter_id,start,minutes,kwh,quality,rule"
    public static let rollupHeader = "meter_id,period,start,kwh,readings,actual,estimated,min_kwh,max_kwh"

    public static func line(_ r: Reading) -> String {
        "\(field(r.meter.rawValue)),\(ISO8601.format(r.start)),\(r.minutes),\(number(r.kwh)),\(r.quality.name),\(field(r.rule ?? ""))"
    }

    public static func line(_ r: RollupRow) -> String {
        let hasValues = r.readings > 0
        return "\(field(r.meter)),\(r.period),\(ISO8601.format(r.start)),\(number(r.kwh)),\(r.readings),\(r.actual),\(r.estimated),"
            + "\(hasValues ? number(r.min) : ""),\(hasValues ? number(r.max) : "")"
    }

    /// Quotes a field when it holds a delimiter, a quote or a line break.
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The value to a micro-kWh, without trailing zeros or the noise of binary sums (8.447, not 8.446999999999997).
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "" }
        let r = (v * 1_000_000).rounded() / 1_000_000
        if r == r.rounded(), abs(r) < 1e15 { return String(Int64(r)) }
        return "\(r)"
    }
}
