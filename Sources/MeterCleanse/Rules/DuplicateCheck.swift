import MeterCore

/// One value per `(meter, start)`: the first row in arrival order wins.
///
/// A later row with the same value (or the same non-number) is an exact duplicate and is dropped;
/// one with another value is a conflicting duplicate and goes to quarantine, so nothing is lost.
/// Expects the series sorted by start with ties in arrival order.
public struct DuplicateCheck: SeriesRule {
    public static let name = "duplicate"
    public static let exact = Outcome(rule: name, name: "exact", action: .dropped, summary: "Exact repeats, dropped")
    public static let conflict = Outcome(rule: name, name: "conflict", action: .quarantined, summary: "Conflicting repeats, quarantined")

    public init() {}

    /// One reading of a meter repeats nothing.
    public func keepsAlone(_ r: LoneReading) -> Bool { true }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        var keeper = -1
        for i in 0..<series.count where series.alive[i] {
            if keeper >= 0, series.start[keeper] == series.start[i] {
                let same = series.status[keeper] == series.status[i]
                    && (series.status[i] != .number || series.kwh[keeper] == series.kwh[i])
                if same {
                    series.alive[i] = false
                    sink.record(Self.exact, meter: series.meter, start: series.start[i], row: series.rows[i])
                } else {
                    series.reject(i, Self.conflict, field: "kwh",
                                  detail: "conflicting duplicate: this slot already has \(describe(series, keeper)), this row says \(describe(series, i))",
                                  sink: &sink, rejections: &rejections)
                }
            } else {
                keeper = i
            }
        }
    }

    private func describe(_ s: MeterSeries, _ i: Int) -> String {
        switch s.status[i] {
        case .number: "\(s.kwh[i])"
        case .empty: "no value"
        case .notANumber: "a non-number"
        }
    }
}
