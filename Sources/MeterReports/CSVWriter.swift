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
        var bytes: [UInt8] = []
        appendNumber(v, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `number(v)` written straight into a byte buffer. Non-finite values write nothing.
    public static func appendNumber(_ v: Double, to out: inout [UInt8]) {
        guard v.isFinite else { return }
        let scaled = (v * 1_000_000).rounded()
        guard abs(scaled) < 9e18 else {
            out.append(contentsOf: "\(v)".utf8)
            return
        }
        var micro = Int64(scaled)
        if micro < 0 { out.append(UInt8(ascii: "-")); micro = -micro }
        appendInt(micro / 1_000_000, to: &out)
        var frac = micro % 1_000_000
        guard frac > 0 else { return }
        out.append(UInt8(ascii: "."))
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        var buf: [UInt8] = [0, 0, 0, 0, 0, 0]
        for k in stride(from: digits - 1, through: 0, by: -1) { buf[k] = UInt8(frac % 10) + 0x30; frac /= 10 }
        out.append(contentsOf: buf[0..<digits])
    }

    /// A non-negative or negative integer in decimal.
    public static func appendInt(_ v: Int, to out: inout [UInt8]) {
        appendInt(Int64(v), to: &out)
    }

    public static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        var n = v
        if n < 0 { out.append(UInt8(ascii: "-")); n = -n }
        if n < 10 { out.append(UInt8(n) + 0x30); return }
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { b in
            var i = b.count
            while n > 0 { i -= 1; b[i] = UInt8(n % 10) + 0x30; n /= 10 }
            out.append(contentsOf: b[i...])
        }
    }

    /// `yyyy-mm-dd`.
    public static func appendDate(_ d: CivilDate, to out: inout [UInt8]) {
        appendPadded(d.year, 4, &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(d.month, 2, &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(d.day, 2, &out)
    }

    static func appendPadded(_ v: Int, _ width: Int, _ out: inout [UInt8]) {
        var p = 1
        for _ in 1..<width { p *= 10 }
        var n = max(v, 0)
        if n >= p * 10 { appendInt(n, to: &out); return }
        while p > 0 { out.append(UInt8(n / p) + 0x30); n %= p; p /= 10 }
    }
}
