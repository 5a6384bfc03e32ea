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
        add(key: outcome.key, action: outcome.action, meter: meter.rawValue, count: count)
    }

    /// `key`: the outcome's, worked out once by a caller adding many counts of it.
    mutating func add(key: String, action: Outcome.Action, meter: String, count: Int) {
        totals[key, default: 0] += count
        perMeter[meter, default: [:]][key, default: 0] += count
        actions[key] = action
    }

    /// Adds another report's counts to this one.
    public mutating func merge(_ other: QualityReport) {
        for (k, v) in other.totals { totals[k, default: 0] += v }
        for (m, counts) in other.perMeter {
            // A meter new to this report takes the other's counts whole.
            guard perMeter[m] != nil else { perMeter[m] = counts; continue }
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
///
/// Counts are kept by small integers while recording (no strings built per outcome); `report`
/// puts names on them.
public struct QualityReportSink: OutcomeSink {
    let meters: [MeterID]
    private var outcomes: [Outcome] = []
    private var last: (outcome: Outcome, index: Int)?
    /// `meter << 8 | outcome index` to count.
    private var counts: [Int64: Int] = [:]

    public init(meters: [MeterID]) { self.meters = meters }

    private mutating func index(of o: Outcome) -> Int {
        if let last, last.outcome == o { return last.index }
        let i: Int
        if let k = outcomes.firstIndex(of: o) { i = k } else { outcomes.append(o); i = outcomes.count - 1 }
        last = (o, i)
        return i
    }

    public mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {
        guard meter >= 0, Int(meter) < meters.count else { return }
        counts[Int64(meter) << 8 | Int64(index(of: outcome) & 0xFF), default: 0] += 1
    }

    public mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int) {
        guard meter >= 0, Int(meter) < meters.count, count > 0 else { return }
        counts[Int64(meter) << 8 | Int64(index(of: outcome) & 0xFF), default: 0] += count
    }

    /// The counts with meter and outcome names.
    public var report: QualityReport {
        var r = QualityReport()
        let keys = outcomes.map(\.key)
        for (key, n) in counts {
            let o = Int(key & 0xFF)
            r.add(key: keys[o], action: outcomes[o].action, meter: meters[Int(key >> 8)].rawValue, count: n)
        }
        return r
    }
}
