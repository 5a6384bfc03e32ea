import MeterCore

/// One meter's rows in time order, as the series rules see them: parallel arrays of the row's
/// index in the input batch, its slot start, value, status, and what the rules made of it.
public struct MeterSeries {
    public var meter: Int32
    public var kind: MeterKind
    public var rows: [Int32] = []
    public var start: [Int64] = []
    public var kwh: [Double] = []
    public var status: [ValueStatus] = []
    public var quality: [Quality] = []
    /// Index into `ruleNames` of the rule that set the row's quality, or -1.
    public var rule: [Int16] = []
    /// Names behind `rule`; kept across `removeAll`, so indices stay valid for a whole run.
    public private(set) var ruleNames: [String] = []
    /// First and last start among every row the series was loaded with, before any rule dropped one.
    public private(set) var loadedSpan: ClosedRange<Int64>?
    /// Whether the row is still in the series (false once a rule dropped or quarantined it).
    public var alive: [Bool] = []

    public init(meter: Int32, kind: MeterKind) {
        self.meter = meter
        self.kind = kind
    }

    public var count: Int { start.count }

    /// A series of the same meter with no rows and the same rule names.
    public func emptyCopy() -> MeterSeries {
        var s = MeterSeries(meter: meter, kind: kind)
        s.ruleNames = ruleNames
        s.loadedSpan = loadedSpan
        return s
    }

    public mutating func removeAll() {
        Self.clear(&rows)
        Self.clear(&start)
        Self.clear(&kwh)
        Self.clear(&status)
        Self.clear(&quality)
        Self.clear(&rule)
        Self.clear(&alive)
    }

    /// Empties a column, keeping its storage. A live batch's series hold one row each, and taking
    /// the last element is a few instructions where `removeAll(keepingCapacity:)` goes through the
    /// general range replacement.
    @inline(__always)
    private static func clear<T>(_ column: inout [T]) {
        if column.count == 1 { column.removeLast() } else if !column.isEmpty { column.removeAll(keepingCapacity: true) }
    }

    public mutating func reserve(_ n: Int) {
        rows.reserveCapacity(n)
        start.reserveCapacity(n)
        kwh.reserveCapacity(n)
        status.reserveCapacity(n)
        quality.reserveCapacity(n)
        rule.reserveCapacity(n)
        alive.reserveCapacity(n)
    }

    /// Replaces the rows with the given rows of a batch (in arrival order), sorted by start with
    /// ties in arrival order, column by column.
    public mutating func load(_ arrival: ArraySlice<Int32>, from input: ReadingBatch) {
        var rows = arrival
        let starts = input.start
        var sorted = true
        for k in rows.indices.dropFirst() where starts[Int(rows[k - 1])] > starts[Int(rows[k])] { sorted = false; break }
        if !sorted {
            rows = ArraySlice(rows.sorted { x, y in
                let sx = starts[Int(x)], sy = starts[Int(y)]
                return sx != sy ? sx < sy : x < y
            })
        }
        removeAll()
        reserve(rows.count)
        // Column by column, each from its own array (a closure over the whole batch would copy it per series).
        let statuses = input.status, values = input.kwh, qualities = input.quality, ruleIndices = input.ruleIndex
        self.rows.append(contentsOf: rows)
        for r in rows {
            start.append(starts[Int(r)])
            kwh.append(values[Int(r)])
            status.append(statuses[Int(r)])
            quality.append(qualities.isEmpty ? .actual : qualities[Int(r)])
            alive.append(true)
        }
        loadedSpan = start.isEmpty ? nil : start[0]...start[start.count - 1]
        if ruleIndices.isEmpty {
            rule.append(contentsOf: repeatElement(-1, count: rows.count))
        } else {
            let map = input.rules.map { ruleIndex($0) }
            for r in rows {
                let k = ruleIndices[Int(r)]
                rule.append(k >= 0 ? map[Int(k)] : -1)
            }
        }
    }

    /// The index of a rule name in `ruleNames`, adding it on first use.
    public mutating func ruleIndex(_ name: String) -> Int16 {
        if let i = ruleNames.firstIndex(of: name) { return Int16(i) }
        ruleNames.append(name)
        return Int16(ruleNames.count - 1)
    }

    /// The rule that set row `i`'s quality, if any.
    public func ruleName(at i: Int) -> String? {
        let k = rule[i]
        return k >= 0 && Int(k) < ruleNames.count ? ruleNames[Int(k)] : nil
    }

    public mutating func append(row: Int32, start s: Int64, kwh v: Double, status st: ValueStatus, quality q: Quality = .actual) {
        rows.append(row)
        start.append(s)
        kwh.append(v)
        status.append(st)
        quality.append(q)
        rule.append(-1)
        alive.append(true)
    }

    /// Appends row `i` of another series of the same meter as it stands (a value it keeps).
    mutating func keep(_ i: Int, of other: MeterSeries) {
        append(row: other.rows[i], start: other.start[i], kwh: other.kwh[i], status: .number, quality: other.quality[i])
        rule[count - 1] = other.rule[i]
    }

    /// Puts the rows in time order (rows of the same start keep their order).
    mutating func sortByStart() {
        let order = (0..<count).sorted { start[$0] != start[$1] ? start[$0] < start[$1] : $0 < $1 }
        rows = order.map { rows[$0] }
        start = order.map { start[$0] }
        kwh = order.map { kwh[$0] }
        status = order.map { status[$0] }
        quality = order.map { quality[$0] }
        rule = order.map { rule[$0] }
        alive = order.map { alive[$0] }
    }
}

/// What the series had before this batch: the last stored slot and value of the meter, so that
/// gaps across batches are estimated and register differences continue.
public struct SeriesAnchor: Sendable, Hashable {
    public var start: Int64
    /// The interval's energy (interval meters) or the register value (register meters).
    public var value: Double

    public init(start: Int64, value: Double) {
        self.start = start
        self.value = value
    }
}

/// A row that a rule quarantined, with its reason.
public struct Rejection: Sendable, Hashable {
    /// Index of the row in the input batch.
    public var row: Int32
    public var outcome: Outcome
    public var field: String
    public var detail: String

    public init(row: Int32, outcome: Outcome, field: String, detail: String) {
        self.row = row
        self.outcome = outcome
        self.field = field
        self.detail = detail
    }
}

/// A VEE rule over one meter's time-ordered series.
public protocol SeriesRule: Sendable {
    /// The rule's name as reports show it (`duplicate`, `gap_estimation`, ...).
    static var name: String { get }
    func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection])
    /// Whether `apply`, given a series of this one reading, would leave it as it is and report
    /// nothing: a meter's only reading in a batch then goes straight to the output.
    func keepsAlone(_ reading: LoneReading) -> Bool
}

/// A meter's only reading in a batch, as a rule sees it, with the anchor the series continues.
public struct LoneReading: Sendable {
    public var start: Int64
    public var kwh: Double
    public var status: ValueStatus
    public var kind: MeterKind
    public var anchor: SeriesAnchor?
}

extension MeterSeries {
    /// Marks a row quarantined: reports the outcome and records the rejection.
    mutating func reject<S: OutcomeSink>(_ i: Int, _ outcome: Outcome, field: String, detail: String,
                                         sink: inout S, rejections: inout [Rejection]) {
        alive[i] = false
        sink.record(outcome, meter: meter, start: start[i], row: rows[i])
        rejections.append(Rejection(row: rows[i], outcome: outcome, field: field, detail: detail))
    }
}
