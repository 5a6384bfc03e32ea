import MeterCore

/// Counts outcomes per meter and UTC day (of the row's or slot's start): the per-day quality
/// figures of the daily job, and of any report that shows quality over time.
public struct OutcomesByDay: OutcomeSink, Sendable {
    /// Outcomes in the order they were first seen; `counts` columns follow it.
    public private(set) var outcomes: [Outcome] = []
    private var outcomeIndex: [Outcome: Int] = [:]
    /// `(meter << 32 | day)` to counts per outcome.
    public private(set) var counts: [Int64: [Int]] = [:]

    public init() {}

    @inline(__always)
    public static func key(_ meter: Int32, _ day: Int64) -> Int64 { Int64(meter) << 32 | (day & 0xFFFF_FFFF) }

    private mutating func column(_ o: Outcome) -> Int {
        if let i = outcomeIndex[o] { return i }
        outcomes.append(o)
        outcomeIndex[o] = outcomes.count - 1
        return outcomes.count - 1
    }

    public mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {
        add(outcome, meter: meter, day: CivilDate.floorDiv(start, 86_400), count: 1)
    }

    public mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int) {
        var s = start
        var left = count
        while left > 0 {
            let day = CivilDate.floorDiv(s, 86_400)
            let inDay = Int(min(Int64(left), ((day + 1) * 86_400 - s + step - 1) / step))
            add(outcome, meter: meter, day: day, count: inDay)
            left -= inDay
            s += Int64(inDay) * step
        }
    }

    private mutating func add(_ outcome: Outcome, meter: Int32, day: Int64, count: Int) {
        let c = column(outcome)
        let k = Self.key(meter, day)
        var row = counts[k] ?? []
        if row.count < outcomes.count { row += [Int](repeating: 0, count: outcomes.count - row.count) }
        row[c] += count
        counts[k] = row
    }

    /// How many times `outcomes` matching `filter` happened to a meter on a day.
    public func count(meter: Int32, day: Int64, where filter: (Outcome) -> Bool) -> Int {
        guard let row = counts[Self.key(meter, day)] else { return 0 }
        var n = 0
        for (i, v) in row.enumerated() where filter(outcomes[i]) { n += v }
        return n
    }

    /// Adds another counter's counts, whose meter indices are already this one's.
    public mutating func merge(_ other: OutcomesByDay) {
        for (k, row) in other.counts {
            for (i, v) in row.enumerated() where v > 0 {
                let c = column(other.outcomes[i])
                var mine = counts[k] ?? []
                if mine.count < outcomes.count { mine += [Int](repeating: 0, count: outcomes.count - mine.count) }
                mine[c] += v
                counts[k] = mine
            }
        }
    }
}
