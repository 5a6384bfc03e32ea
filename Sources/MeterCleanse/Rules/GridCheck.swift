import MeterCore

/// Quarantines rows whose start is not on the meter's interval grid (e.g. 08:07 on a 30-minute grid).
public struct GridCheck: SeriesRule {
    public static let name = "grid"
    public static let offGrid = Outcome(rule: name, name: "off_grid", action: .quarantined, summary: "Off the interval grid, quarantined")

    public let interval: IntervalLength

    public init(interval: IntervalLength) { self.interval = interval }

    /// Whether a reading starting then is on the grid.
    func keeps(_ start: Int64) -> Bool { interval.isAligned(start) }

    public func keepsAlone(_ r: LoneReading) -> Bool { keeps(r.start) }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        for i in 0..<series.count where series.alive[i] && !keeps(series.start[i]) {
            series.reject(i, Self.offGrid, field: "timestamp",
                          detail: "start is not on the \(interval.minutes)-minute grid", sink: &sink, rejections: &rejections)
        }
    }
}
