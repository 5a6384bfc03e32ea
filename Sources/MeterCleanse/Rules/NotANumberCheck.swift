import MeterCore

/// Quarantines rows whose value is empty, does not parse as a number, or is not finite.
public struct NotANumberCheck: SeriesRule {
    public static let name = "not_a_number"
    public static let empty = Outcome(rule: name, name: "empty", action: .quarantined, summary: "Empty values, quarantined")
    public static let unparseable = Outcome(rule: name, name: "unparseable", action: .quarantined, summary: "Values not a number, quarantined")

    public init() {}

    public func keepsAlone(_ r: LoneReading) -> Bool { r.status == .number && r.kwh.isFinite }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        for i in 0..<series.count where series.alive[i] {
            switch series.status[i] {
            case .empty:
                series.reject(i, Self.empty, field: "kwh", detail: "value is empty", sink: &sink, rejections: &rejections)
            case .notANumber:
                series.reject(i, Self.unparseable, field: "kwh", detail: "value is not a number", sink: &sink, rejections: &rejections)
            case .number where !series.kwh[i].isFinite:
                series.reject(i, Self.unparseable, field: "kwh", detail: "value is not finite", sink: &sink, rejections: &rejections)
            case .number:
                break
            }
        }
    }
}
