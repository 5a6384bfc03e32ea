import MeterCore

/// Counts of every VEE outcome, per meter and per rule: what the import summary, the API's
/// quality report and `/metrics` show.
public struct QualityReport: Sendable, Codable, Equatable {
    /// Outcome key (`rule/name`) to count, over all meters.
    public private(set) var totals: [String: Int] = [:]
    /// Meter id to outcome key to count.
    public private(set) var perMeter: [String: [String: Int]] = [:]
    /// Outcome key to its action.
    public private(set) var actions: [String: Outcome.Action] = [:]

    public init() {}

    public mutating func add(_ outcome: Outcome, meter: MeterID, count: Int = 1) {
        totals[outcome.key, default: 0] += count
        perMeter[meter.rawValue, default: [:]][outcome.key, default: 0] += count
        actions[outcome.key] = outcome.action
    }

    /// Adds another report's counts to this one.
    public mutating func merge(_ other: QualityReport) {
        for (k, v) in other.totals { totals[k, default: 0] += v }
        for (m, counts) in other.perMeter {
            for (k, v) in counts { perMeter[m, default: [:]][k, default: 0] += v }
        }
        actions.merge(other.actions) { a, _ in a }
    }

    public func count(_ outcome: Outcome) -> Int { totals[outcome.key] ?? 0 }
    public func count(_ outcome: Outcome, meter: MeterID) -> Int { perMeter[meter.rawValue]?[outcome.key] ?? 0 }

    /// Total over all outcomes with the given action.
    public func total(_ action: Outcome.Action) -> Int {
        totals.reduce(0) { $0 + (actions[$1.key] == action ? $1.value : 0) }
    }
}

/// Collects outcomes into a `QualityReport`, resolving meter indices through the batch's table.
public struct QualityReportSink: OutcomeSink {
    public var report = QualityReport()
    let meters: [MeterID]

    public init(meters: [MeterID]) { self.meters = meters }

    public mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {
        guard meter >= 0, Int(meter) < meters.count else { return }
        report.add(outcome, meter: meters[Int(meter)])
    }

    public mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int) {
        guard meter >= 0, Int(meter) < meters.count, count > 0 else { return }
        report.add(outcome, meter: meters[Int(meter)], count: count)
    }
}
