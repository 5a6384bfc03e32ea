import MeterCore

/// One meter's (or a group's) energy over one period, with how much of it was measured.
public struct RollupRow: Sendable, Hashable, Codable {
    public var meter: String
    public var period: String
    public var start: Int64
    public var kwh: Double
    public var readings: Int
    public var actual: Int
    public var estimated: Int
    public var min: Double
    public var max: Double

    /// Share of readings that were measured, 0...1.
    public var actualShare: Double { readings == 0 ? 0 : Double(actual) / Double(readings) }
}

/// Rolls readings up into periods as they stream past, in one pass and constant memory.
///
/// Feed readings ordered by meter then start (as stores scan them); a row is emitted each time a
/// meter or a period ends. With `key` set, readings are grouped under that name instead of their
/// meter (a source's or the fleet's total) and need only be in time order.
public struct RollupAccumulator: Sendable {
    public let period: RollupPeriod
    public let calendar: SettlementCalendar
    private var current: RollupRow?
    private var rows: [String: RollupRow] = [:]
    private let group: String?

    public init(period: RollupPeriod, zone: TimeZoneSpec = .utc, group: String? = nil) {
        self.period = period
        calendar = SettlementCalendar(zone)
        self.group = group
    }

    /// Adds a reading; returns a finished row when this reading starts a new one.
    public mutating func add(_ r: Reading) -> RollupRow? {
        let (start, label) = period.bucket(of: r.start, calendar: calendar)
        let name = group ?? r.meter.rawValue
        if group != nil {
            rows[label, default: RollupRow(meter: name, period: label, start: start, kwh: 0, readings: 0, actual: 0,
                                           estimated: 0, min: .infinity, max: -.infinity)].add(r)
            return nil
        }
        var finished: RollupRow?
        if let c = current, c.meter != name || c.start != start {
            finished = c
            current = nil
        }
        if current == nil {
            current = RollupRow(meter: name, period: label, start: start, kwh: 0, readings: 0, actual: 0, estimated: 0,
                                min: .infinity, max: -.infinity)
        }
        current?.add(r)
        return finished
    }

    /// Rows not yet returned.
    public mutating func finish() -> [RollupRow] {
        defer { current = nil; rows = [:] }
        if group != nil { return rows.values.sorted { $0.start < $1.start } }
        return current.map { [$0] } ?? []
    }

    /// Rolls up a whole array of readings.
    public static func rollup(_ readings: [Reading], period: RollupPeriod, zone: TimeZoneSpec = .utc) -> [RollupRow] {
        var acc = RollupAccumulator(period: period, zone: zone)
        var out: [RollupRow] = []
        for r in readings { if let row = acc.add(r) { out.append(row) } }
        return out + acc.finish()
    }
}

extension RollupRow {
    mutating func add(_ r: Reading) {
        kwh += r.kwh
        readings += 1
        if r.quality == .actual { actual += 1 }
        if r.quality == .estimated { estimated += 1 }
        min = Swift.min(min, r.kwh)
        max = Swift.max(max, r.kwh)
    }
}
