import MeterCore

/// Quarantines negative values: energy of an interval, or a register, is never below zero.
public struct NegativeCheck: SeriesRule {
    public static let name = "negative"
    public static let negative = Outcome(rule: name, name: "negative", action: .quarantined, summary: "Negative values, quarantined")

    public init() {}

    func keeps(_ kwh: Double) -> Bool { !(kwh < 0) }

    public func keepsAlone(_ r: LoneReading) -> Bool { keeps(r.kwh) }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        for i in 0..<series.count where series.alive[i] && !keeps(series.kwh[i]) {
            series.reject(i, Self.negative, field: "kwh", detail: "negative value \(series.kwh[i])",
                          sink: &sink, rejections: &rejections)
        }
    }
}
