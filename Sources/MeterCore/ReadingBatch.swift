/// Readings as columns (struct of arrays), the shape every stage from reader to store passes on.
///
/// Meter ids are interned: `meterIndex[i]` points into `meters`, so a row costs a few words and no
/// string. `line` is where a row came from in its source (1-based; 0 when it has none), for error
/// messages and quarantine. `status` says whether `kwh` was read from a number.
public struct ReadingBatch: Sendable {
    public var meters: [MeterID] = []
    public var meterIndex: [Int32] = []
    public var start: [Int64] = []
    public var kwh: [Double] = []
    public var status: [ValueStatus] = []
    public var quality: [Quality] = []
    /// Index into `rules` of the rule that set `quality`, or -1.
    public var ruleIndex: [Int16] = []
    public var line: [Int32] = []
    /// Names of the rules referenced by `ruleIndex`.
    public var rules: [String] = []
    private var internTable: [MeterID: Int32] = [:]

    public init() {}

    public var count: Int { start.count }
    public var isEmpty: Bool { start.isEmpty }

    public mutating func reserve(_ n: Int) {
        meterIndex.reserveCapacity(n)
        start.reserveCapacity(n)
        kwh.reserveCapacity(n)
        status.reserveCapacity(n)
        quality.reserveCapacity(n)
        ruleIndex.reserveCapacity(n)
        line.reserveCapacity(n)
    }

    /// Appends all rows of another batch whose meter `k` is this batch's `meterMap[k]`, shifting
    /// their line numbers by `lineOffset`. Column by column, so it costs about a copy.
    public mutating func append(contentsOf other: ReadingBatch, meterMap: [Int32], lineOffset: Int32) {
        meterIndex.append(contentsOf: other.meterIndex.lazy.map { meterMap[Int($0)] })
        start.append(contentsOf: other.start)
        kwh.append(contentsOf: other.kwh)
        status.append(contentsOf: other.status)
        quality.append(contentsOf: other.quality)
        let ruleMap = other.rules.map { internRule($0) }
        ruleIndex.append(contentsOf: other.ruleIndex.lazy.map { $0 >= 0 ? ruleMap[Int($0)] : -1 })
        line.append(contentsOf: other.line.lazy.map { $0 &+ lineOffset })
    }

    /// Removes every row, keeping the meter and rule tables (and the capacity).
    public mutating func removeAllRows() {
        meterIndex.removeAll(keepingCapacity: true)
        start.removeAll(keepingCapacity: true)
        kwh.removeAll(keepingCapacity: true)
        status.removeAll(keepingCapacity: true)
        quality.removeAll(keepingCapacity: true)
        ruleIndex.removeAll(keepingCapacity: true)
        line.removeAll(keepingCapacity: true)
    }

    /// The index of a meter in `meters`, adding it on first sight.
    public mutating func intern(_ id: MeterID) -> Int32 {
        if let i = internTable[id] { return i }
        let i = Int32(meters.count)
        meters.append(id)
        internTable[id] = i
        return i
    }

    /// The index of a rule name in `rules`, adding it on first sight.
    public mutating func internRule(_ name: String) -> Int16 {
        if let i = rules.firstIndex(of: name) { return Int16(i) }
        rules.append(name)
        return Int16(rules.count - 1)
    }

    public mutating func append(meter: Int32, start s: Int64, kwh v: Double, status st: ValueStatus = .number,
                                quality q: Quality = .actual, rule: Int16 = -1, line l: Int32 = 0) {
        meterIndex.append(meter)
        start.append(s)
        kwh.append(v)
        status.append(st)
        quality.append(q)
        ruleIndex.append(rule)
        line.append(l)
    }

    public mutating func append(_ r: Reading, line l: Int32 = 0) {
        let m = intern(r.meter)
        let rule = r.rule.map { internRule($0) } ?? -1
        append(meter: m, start: r.start, kwh: r.kwh, status: r.kwh.isFinite ? .number : .notANumber,
               quality: r.quality, rule: rule, line: l)
    }

    /// Row `i` as a `Reading`.
    public func reading(at i: Int, minutes: Int = 30) -> Reading {
        let r = ruleIndex[i]
        return Reading(meter: meters[Int(meterIndex[i])], start: start[i], minutes: minutes, kwh: kwh[i],
                       quality: quality[i], rule: r >= 0 ? rules[Int(r)] : nil)
    }

    public var readings: [Reading] { (0..<count).map { reading(at: $0) } }
}

/// Whether a row's value field held a number.
public enum ValueStatus: UInt8, Sendable {
    case number = 0
    case empty = 1
    case notANumber = 2
}
