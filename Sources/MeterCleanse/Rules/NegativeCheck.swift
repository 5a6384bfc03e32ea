import MeterCore

/// Quarantines negative values: energy of an interval, or a register, is never below zero.
public struct NegativeCheck: SeriesRule {
    public static let name = "negative"
    public static let negative = Outcome(rule: name, name: "negative", action: .quarantined, summary: "Negative values, quarantined")

    public init() {}

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        for i in 0..<series.count where series.alive[i] && series.kwh[i] < 0 {
            series.reject(i, Self.negative, field: "kwh", detail: "negative value \(series.kwh[i])",
                          sink: &sink, rejections: &rejections)
        }
    }
}
