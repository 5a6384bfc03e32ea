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

/// A period's running totals for one key (a meter's index, or a group), without names or labels:
/// the shape the columnar fast path works in.
public struct RollupCell: Sendable, Hashable {
    public var key: Int32
    public var start: Int64
    public var kwh = 0.0
    public var readings = 0
    public var actual = 0
    public var estimated = 0
    public var min = Double.infinity
    public var max = -Double.infinity

    public init(key: Int32, start: Int64) {
        self.key = key
        self.start = start
    }

    @inline(__always)
    public mutating func add(_ kwh: Double, _ quality: Quality) {
        self.kwh += kwh
        readings += 1
        if quality == .actual { actual += 1 } else if quality == .estimated { estimated += 1 }
        if kwh < min { min = kwh }
        if kwh > max { max = kwh }
    }
}

/// Rolls readings up into periods as they stream past, in one pass and constant memory.
///
/// Feed readings ordered by key (meter) then start, as stores scan them and as VEE emits them; a
/// cell is returned each time a key or a period ends. The columnar entry point
/// (`add(key:start:kwh:quality:)`) is the one the daily batch job uses; `add(_ Reading)` wraps it.
/// With `group` set, all readings count under that one name (a source's or the fleet's total) and
/// need only be grouped by period.
public struct RollupAccumulator: Sendable {
    public let period: RollupPeriod
    public let calendar: SettlementCalendar
    private var current: RollupCell?
    private var names: [String] = []
    private var keys: [String: Int32] = [:]
    private let group: String?
    private var grouped: [Int64: RollupCell] = [:]

    public init(period: RollupPeriod, zone: TimeZoneSpec = .utc, group: String? = nil) {
        self.period = period
        calendar = SettlementCalendar(zone)
        self.group = group
    }

    /// Adds one value under a key; returns the finished cell when this value starts a new one.
    @inline(__always)
    public mutating func add(key: Int32, start: Int64, kwh: Double, quality: Quality) -> RollupCell? {
        let bucket = period.bucketStart(of: start, calendar: calendar)
        if current?.key == key && current?.start == bucket {
            current?.add(kwh, quality)
            return nil
        }
        let finished = current
        current = RollupCell(key: key, start: bucket)
        current?.add(kwh, quality)
        return finished
    }

    /// The cell still open, if any; the accumulator is empty afterwards.
    public mutating func flush() -> RollupCell? {
        defer { current = nil }
        return current
    }

    /// Adds a reading; returns a finished row when this reading starts a new one.
    public mutating func add(_ r: Reading) -> RollupRow? {
        if group != nil {
            let bucket = period.bucketStart(of: r.start, calendar: calendar)
            grouped[bucket, default: RollupCell(key: 0, start: bucket)].add(r.kwh, r.quality)
            return nil
        }
        let key: Int32
        if let k = keys[r.meter.rawValue] {
            key = k
        } else {
            key = Int32(names.count)
            names.append(r.meter.rawValue)
            keys[r.meter.rawValue] = key
        }
        return add(key: key, start: r.start, kwh: r.kwh, quality: r.quality).map { row($0, name: names[Int($0.key)]) }
    }

    /// Rows not yet returned.
    public mutating func finish() -> [RollupRow] {
        if let group {
            defer { grouped = [:] }
            return grouped.values.sorted { $0.start < $1.start }.map { row($0, name: group) }
        }
        return flush().map { [row($0, name: names[Int($0.key)])] } ?? []
    }

    /// A cell with its name and period label.
    public func row(_ c: RollupCell, name: String) -> RollupRow {
        RollupRow(meter: name, period: period.label(ofBucketStarting: c.start, calendar: calendar), start: c.start, kwh: c.kwh,
                  readings: c.readings, actual: c.actual, estimated: c.estimated, min: c.min, max: c.max)
    }

    /// Rolls up a whole array of readings.
    public static func rollup(_ readings: [Reading], period: RollupPeriod, zone: TimeZoneSpec = .utc) -> [RollupRow] {
        var acc = RollupAccumulator(period: period, zone: zone)
        var out: [RollupRow] = []
        for r in readings { if let row = acc.add(r) { out.append(row) } }
        return out + acc.finish()
    }
}
