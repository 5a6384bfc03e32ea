import MeterCore

/// Counts outcomes per meter and UTC day (of the row's or slot's start): the per-day quality
/// figures of the daily job, and of any report that shows quality over time.
///
/// Recording appends to one flat list (runs of the same meter, day and outcome fold into one
/// entry), so a record costs an append, not a hash; `sorted()` orders the list by meter and day
/// once, for reading back in that order.
public struct OutcomesByDay: OutcomeSink, Sendable {
    /// One meter's count of one outcome on one day.
    public struct Entry: Sendable, Hashable {
        public var meter: Int32
        public var day: Int32
        /// Index into `outcomes`.
        public var outcome: UInt8
        public var count: Int32
    }

    /// Outcomes in the order they were first seen; entries point into it.
    public private(set) var outcomes: [Outcome] = []
    public private(set) var entries: [Entry] = []
    private var last: (outcome: Outcome, index: UInt8)?

    public init() {}

    private mutating func index(of o: Outcome) -> UInt8 {
        if let last, last.outcome == o { return last.index }
        let i: UInt8
        if let k = outcomes.firstIndex(of: o) {
            i = UInt8(truncatingIfNeeded: k)
        } else {
            outcomes.append(o)
            i = UInt8(truncatingIfNeeded: outcomes.count - 1)
        }
        last = (o, i)
        return i
    }

    public mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {
        add(index(of: outcome), meter: meter, day: CivilDate.floorDiv(start, 86_400), count: 1)
    }

    public mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int) {
        let o = index(of: outcome)
        var s = start
        var left = count
        while left > 0 {
            let day = CivilDate.floorDiv(s, 86_400)
            let inDay = Int(min(Int64(left), ((day + 1) * 86_400 - s + step - 1) / step))
            add(o, meter: meter, day: day, count: inDay)
            left -= inDay
            s += Int64(inDay) * step
        }
    }

    @inline(__always)
    private mutating func add(_ outcome: UInt8, meter: Int32, day: Int64, count: Int) {
        let d = Int32(clamping: day)
        if let e = entries.last, e.meter == meter, e.day == d, e.outcome == outcome {
            entries[entries.count - 1].count += Int32(clamping: count)
        } else {
            entries.append(Entry(meter: meter, day: d, outcome: outcome, count: Int32(clamping: count)))
        }
    }

    /// Adds another counter's entries, whose meter indices are already this one's.
    public mutating func merge(_ other: OutcomesByDay) {
        let map = other.outcomes.map { index(of: $0) }
        entries.reserveCapacity(entries.count + other.entries.count)
        for var e in other.entries {
            e.outcome = map[Int(e.outcome)]
            entries.append(e)
        }
    }

    /// The entries ordered by meter, then day.
    public func sorted() -> [Entry] {
        entries.sorted { ($0.meter, $0.day, $0.outcome) < ($1.meter, $1.day, $1.outcome) }
    }

    /// How many times outcomes matching `filter` happened to a meter on a day (a scan: for
    /// tests and small reports; the daily job walks `sorted()` instead).
    public func count(meter: Int32, day: Int64, where filter: (Outcome) -> Bool) -> Int {
        entries.reduce(0) { $0 + ($1.meter == meter && Int64($1.day) == day && filter(outcomes[Int($1.outcome)]) ? Int($1.count) : 0) }
    }
}
