import MeterCore

/// Quarantines interval energies above a configured maximum (kWh per interval).
public struct LimitCheck: SeriesRule {
    public static let name = "limit"
    public static let aboveMax = Outcome(rule: name, name: "above_max", action: .quarantined, summary: "Above the interval limit, quarantined")

    public let maxKwh: Double

    public init(maxKwh: Double) { self.maxKwh = maxKwh }

    func keeps(_ kwh: Double) -> Bool { !(kwh > maxKwh) }

    public func keepsAlone(_ r: LoneReading) -> Bool { keeps(r.kwh) }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        for i in 0..<series.count where series.alive[i] && !keeps(series.kwh[i]) {
            series.reject(i, Self.aboveMax, field: "kwh", detail: "\(series.kwh[i]) kWh is above the limit of \(maxKwh)",
                          sink: &sink, rejections: &rejections)
        }
    }
}
