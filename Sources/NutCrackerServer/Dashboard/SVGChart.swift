import Foundation

/// Charts as SVG text: pure functions of their data, drawn on the server so a page shows its charts
/// before any script runs. Coordinates are in a fixed view box; the page scales them.
enum SVGChart {
    /// A span to shade behind a line chart (an anomaly).
    struct Band {
        var start: Int64
        var end: Int64
        var kind: String
        var title: String
    }

    /// A forecast drawn after the readings: its mean dashed, its 80% and 95% intervals shaded.
    struct ForecastBand {
        var starts: [Int64]
        var mean: [Double]
        var lower80: [Double], upper80: [Double]
        var lower95: [Double], upper95: [Double]
    }

    /// A time series as a line, with its y axis, first/last time labels, estimated values marked,
    /// anomaly spans shaded and, when given, the forecast that follows it.
    static func line(_ points: [(t: Int64, v: Double, estimated: Bool)], bands: [Band] = [], forecast: ForecastBand? = nil,
                     width: Double = 900, height: Double = 260, unit: String = "kWh") -> String {
        let left = 52.0, right = 12.0, top = 24.0, bottom = 28.0
        let w = width - left - right, h = height - top - bottom
        guard let first = points.first, let last = points.last else {
            return "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\"><text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" class=\"empty\" text-anchor=\"middle\">no readings in this range</text></svg>"
        }
        let future = forecast.map { f in f.starts.indices.filter { f.starts[$0] > last.t } } ?? []
        let end = future.last.flatMap { forecast?.starts[$0] } ?? last.t
        let t0 = Double(first.t), t1 = Double(max(end, first.t + 1))
        let highest = max(points.map(\.v).max() ?? 1, future.compactMap { forecast?.upper95[$0] }.max() ?? 0)
        let top95 = niceCeiling(highest)
        func x(_ t: Int64) -> Double { left + (Double(t) - t0) / (t1 - t0) * w }
        func y(_ v: Double) -> Double { top + h - max(0, v) / top95 * h }
        var s = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"readings from \(label(first.t)) to \(label(last.t))\">"
        for b in bands where b.end > first.t && b.start < last.t + 1 {
            let x0 = x(max(b.start, first.t)), x1 = max(x(min(b.end, last.t)), x0 + 3)
            s += "<rect class=\"band \(esc(b.kind))\" x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(x1 - x0))\" height=\"\(f(h))\"><title>\(esc(b.title))</title></rect>"
        }
        for i in 0...4 {
            let v = top95 * Double(i) / 4
            s += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(left + w))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\"/>"
            s += "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(number(v))</text>"
        }
        s += "<text class=\"axis\" x=\"\(f(left))\" y=\"\(f(height - 8))\">\(label(first.t))</text>"
        s += "<text class=\"axis\" x=\"\(f(left + w))\" y=\"\(f(height - 8))\" text-anchor=\"end\">\(label(end))</text>"
        if let fc = forecast, !future.isEmpty {
            func area(_ lo: [Double], _ hi: [Double]) -> String {
                (future.map { "\(f(x(fc.starts[$0]))),\(f(y(hi[$0])))" } + future.reversed().map { "\(f(x(fc.starts[$0]))),\(f(y(lo[$0])))" })
                    .joined(separator: " ")
            }
            s += "<g class=\"forecast\"><title>forecast from \(label(fc.starts[future[0]]))</title>"
            s += "<polygon class=\"fc95\" points=\"\(area(fc.lower95, fc.upper95))\"/>"
            s += "<polygon class=\"fc80\" points=\"\(area(fc.lower80, fc.upper80))\"/>"
            s += "<polyline class=\"fcmean\" points=\"\(future.map { "\(f(x(fc.starts[$0]))),\(f(y(fc.mean[$0])))" }.joined(separator: " "))\"/></g>"
        }
        s += "<text class=\"axis unit\" x=\"\(f(left - 6))\" y=\"12\" text-anchor=\"end\">\(esc(unit))</text>"
        let path = points.map { "\(f(x($0.t))),\(f(y($0.v)))" }.joined(separator: " ")
        s += "<polyline class=\"series\" points=\"\(path)\"/>"
        for p in points where p.estimated {
            s += "<circle class=\"estimated\" cx=\"\(f(x(p.t)))\" cy=\"\(f(y(p.v)))\" r=\"2.5\"><title>estimated \(label(p.t))</title></circle>"
        }
        return s + "</svg>"
    }

    /// One bar per period (daily totals), the estimated share of each drawn in its own colour.
    static func bars(_ rows: [(label: String, value: Double, estimatedShare: Double)], width: Double = 900, height: Double = 200) -> String {
        let left = 52.0, right = 12.0, top = 10.0, bottom = 28.0
        let w = width - left - right, h = height - top - bottom
        guard !rows.isEmpty else {
            return "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\"><text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" class=\"empty\" text-anchor=\"middle\">no days yet</text></svg>"
        }
        let top95 = niceCeiling(rows.map(\.value).max() ?? 1)
        let slot = w / Double(rows.count), barW = max(slot * 0.7, 1)
        var s = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"daily totals\">"
        for i in 0...4 {
            let v = top95 * Double(i) / 4, yy = top + h - v / top95 * h
            s += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(left + w))\" y1=\"\(f(yy))\" y2=\"\(f(yy))\"/>"
            s += "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(number(v))</text>"
        }
        let every = max(1, rows.count / 8)
        for (i, r) in rows.enumerated() {
            let x = left + Double(i) * slot + (slot - barW) / 2
            let bh = max(0, r.value) / top95 * h, eh = bh * min(max(r.estimatedShare, 0), 1)
            s += "<g><title>\(esc(r.label)): \(number(r.value)) kWh\(r.estimatedShare > 0 ? String(format: ", %.0f%% estimated", r.estimatedShare * 100) : "")</title>"
            s += "<rect class=\"bar\" x=\"\(f(x))\" y=\"\(f(top + h - bh))\" width=\"\(f(barW))\" height=\"\(f(bh - eh))\"/>"
            if eh > 0 { s += "<rect class=\"bar estimated\" x=\"\(f(x))\" y=\"\(f(top + h - eh))\" width=\"\(f(barW))\" height=\"\(f(eh))\"/>" }
            s += "</g>"
            if i % every == 0 { s += "<text class=\"axis\" x=\"\(f(x + barW / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(esc(String(r.label.suffix(5))))</text>" }
        }
        return s + "</svg>"
    }

    /// A small line without axes, for a meter's card.
    static func spark(_ values: [Double], width: Double = 120, height: Double = 32) -> String {
        // Always a polyline, empty until there are two values, so the page can extend it.
        guard values.count > 1 else { return "<svg class=\"spark\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" aria-hidden=\"true\"><polyline points=\"\"/></svg>" }
        let top = max(values.max() ?? 1, 0.001)
        let pts = values.enumerated().map { i, v in
            "\(f(Double(i) * width / Double(values.count - 1))),\(f(height - 2 - max(v, 0) / top * (height - 4)))"
        }.joined(separator: " ")
        return "<svg class=\"spark\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" aria-hidden=\"true\"><polyline points=\"\(pts)\"/></svg>"
    }

    /// 1, 2 or 5 times a power of ten, at or above `v`.
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2, 2.5, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    static func number(_ v: Double) -> String {
        v == 0 ? "0" : v >= 100 ? String(format: "%.0f", v) : v >= 1 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func label(_ t: Int64) -> String {
        let d = Date(timeIntervalSince1970: TimeInterval(t))
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? .current
        let x = c.dateComponents([.month, .day, .hour, .minute], from: d)
        return String(format: "%02d-%02d %02d:%02d", x.month ?? 0, x.day ?? 0, x.hour ?? 0, x.minute ?? 0)
    }

    static func esc(_ s: String) -> String { Pages.esc(s) }
}
