/// Readings as columns (struct of arrays), the shape every stage from reader to store passes on.
///
/// Meter ids are interned: `meterIndex[i]` points into `meters`, so a row costs a few words and no
/// string. `line` is where a row came from in its source (1-based; 0 when it has none), for error
/// messages and quarantine. `status` says whether `kwh` was read from a number.
///
/// `quality`, `ruleIndex` and `line` are sparse: empty while every row has the default (actual, no
/// rule, no line), so raw input costs 21 bytes a row instead of 28. Read them with `quality(at:)`,
/// `rule(at:)` and `line(at:)`; once a row differs the column holds a value for every row.
public struct ReadingBatch: Sendable {
    public var meters: [MeterID] = []
    public var meterIndex: [Int32] = []
    public var start: [Int64] = []
    public var kwh: [Double] = []
    public var status: [ValueStatus] = []
    /// Empty when every row is `actual`.
    public private(set) var quality: [Quality] = []
    /// Index into `rules` of the rule that set `quality`, or -1; empty when no row has a rule.
    public private(set) var ruleIndex: [Int16] = []
    /// Empty when no row has a line, or when lines are not kept.
    public private(set) var line: [Int32] = []
    /// Whether `line` is recorded (a job that never reports rows can skip it).
    public var keepsLines = true
    /// Names of the rules referenced by `ruleIndex`.
    public var rules: [String] = []
    private var internTable: [MeterID: Int32] = [:]
    /// How many of `meters` are in `internTable`: the rest (added by `appendNew`, or by assigning
    /// `meters`) are hashed when a meter is next looked up.
    private var indexed = 0

    public init() {}

    /// An empty batch whose meter table is `other`'s, shared rather than built again (each meter
    /// has the same index in both).
    public init(meterTableOf other: ReadingBatch) {
        meters = other.meters
        internTable = other.internTable
        indexed = other.indexed
    }

    public var count: Int { start.count }
    public var isEmpty: Bool { start.isEmpty }

    @inline(__always) public func quality(at i: Int) -> Quality { quality.isEmpty ? .actual : quality[i] }
    @inline(__always) public func rule(at i: Int) -> Int16 { ruleIndex.isEmpty ? -1 : ruleIndex[i] }
    @inline(__always) public func line(at i: Int) -> Int32 { line.isEmpty ? 0 : line[i] }

    /// Name of the rule that set row `i`'s quality, if any.
    public func ruleName(at i: Int) -> String? {
        let r = rule(at: i)
        return r >= 0 && Int(r) < rules.count ? rules[Int(r)] : nil
    }

    /// Adds a number to every row's line (rows read after others).
    public mutating func shiftLines(by offset: Int32) {
        for i in line.indices { line[i] &+= offset }
    }

    public mutating func reserve(_ n: Int) {
        meterIndex.reserveCapacity(n)
        start.reserveCapacity(n)
        kwh.reserveCapacity(n)
        status.reserveCapacity(n)
        if !quality.isEmpty { quality.reserveCapacity(n) }
        if !ruleIndex.isEmpty { ruleIndex.reserveCapacity(n) }
        if keepsLines { line.reserveCapacity(n) }
    }

    /// Appends all rows of another batch whose meter `k` is this batch's `meterMap[k]`, shifting
    /// their line numbers by `lineOffset`. Column by column, so it costs about a copy.
    public mutating func append(contentsOf other: ReadingBatch, meterMap: [Int32], lineOffset: Int32) {
        let n = count
        meterIndex.append(contentsOf: other.meterIndex.lazy.map { meterMap[Int($0)] })
        start.append(contentsOf: other.start)
        kwh.append(contentsOf: other.kwh)
        status.append(contentsOf: other.status)
        if !quality.isEmpty || !other.quality.isEmpty {
            if quality.isEmpty { quality = [Quality](repeating: .actual, count: n) }
            if other.quality.isEmpty { quality.append(contentsOf: repeatElement(.actual, count: other.count)) }
            else { quality.append(contentsOf: other.quality) }
        }
        if !ruleIndex.isEmpty || !other.ruleIndex.isEmpty {
            if ruleIndex.isEmpty { ruleIndex = [Int16](repeating: -1, count: n) }
            if other.ruleIndex.isEmpty { ruleIndex.append(contentsOf: repeatElement(-1, count: other.count)) }
            else {
                let ruleMap = other.rules.map { internRule($0) }
                ruleIndex.append(contentsOf: other.ruleIndex.lazy.map { $0 >= 0 ? ruleMap[Int($0)] : -1 })
            }
        }
        if keepsLines, !line.isEmpty || !other.line.isEmpty {
            if line.isEmpty { line = [Int32](repeating: 0, count: n) }
            if other.line.isEmpty { line.append(contentsOf: repeatElement(0, count: other.count)) }
            else { line.append(contentsOf: other.line.lazy.map { $0 &+ lineOffset }) }
        }
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

    /// How many of the table's meters have rows in the batch, counted without hashing.
    public var metersWithRows: Int {
        var seen = [Bool](repeating: false, count: meters.count)
        var n = 0
        for m in meterIndex where !seen[Int(m)] {
            seen[Int(m)] = true
            n += 1
        }
        return n
    }

    /// Room for `n` meters, so interning them does not regrow the table.
    public mutating func reserveMeters(_ n: Int) {
        meters.reserveCapacity(n)
        internTable.reserveCapacity(n)
    }

    /// The index of a meter in `meters`, adding it on first sight.
    public mutating func intern(_ id: MeterID) -> Int32 {
        if indexed != meters.count { index() }
        // One hash of the id, found or added in place.
        let next = Int32(meters.count)
        let i = Self.take(&internTable[id, default: -1], next)
        if i == next {
            meters.append(id)
            indexed += 1
        }
        return i
    }

    /// Adds a meter the caller knows the batch does not have yet (its own table of the batch's
    /// meters says so), without hashing it: a live request's every row is a new meter, and its
    /// batch is seldom searched by id afterwards.
    public mutating func appendNew(_ id: MeterID) -> Int32 {
        meters.append(id)
        return Int32(meters.count - 1)
    }

    /// Brings `internTable` up to `meters` (from the start if `meters` was replaced by a shorter list).
    private mutating func index() {
        if indexed > meters.count {
            internTable.removeAll(keepingCapacity: true)
            indexed = 0
        }
        internTable.reserveCapacity(meters.count)
        for k in indexed..<meters.count where internTable[meters[k]] == nil { internTable[meters[k]] = Int32(k) }
        indexed = meters.count
    }

    private static func take(_ slot: inout Int32, _ next: Int32) -> Int32 {
        if slot < 0 { slot = next }
        return slot
    }

    /// The index of a rule name in `rules`, adding it on first sight.
    public mutating func internRule(_ name: String) -> Int16 {
        if let i = rules.firstIndex(of: name) { return Int16(i) }
        rules.append(name)
        return Int16(rules.count - 1)
    }

    public mutating func append(meter: Int32, start s: Int64, kwh v: Double, status st: ValueStatus = .number,
                                quality q: Quality = .actual, rule: Int16 = -1, line l: Int32 = 0) {
        let n = start.count
        meterIndex.append(meter)
        start.append(s)
        kwh.append(v)
        status.append(st)
        if q != .actual || !quality.isEmpty {
            if quality.count < n { quality.append(contentsOf: repeatElement(.actual, count: n - quality.count)) }
            quality.append(q)
        }
        if rule >= 0 || !ruleIndex.isEmpty {
            if ruleIndex.count < n { ruleIndex.append(contentsOf: repeatElement(-1, count: n - ruleIndex.count)) }
            ruleIndex.append(rule)
        }
        if keepsLines, l != 0 || !line.isEmpty {
            if line.count < n { line.append(contentsOf: repeatElement(0, count: n - line.count)) }
            line.append(l)
        }
    }

    public mutating func append(_ r: Reading, line l: Int32 = 0) {
        let m = intern(r.meter)
        let rule = r.rule.map { internRule($0) } ?? -1
        append(meter: m, start: r.start, kwh: r.kwh, status: r.kwh.isFinite ? .number : .notANumber,
               quality: r.quality, rule: rule, line: l)
    }

    /// Row `i` as a `Reading`.
    public func reading(at i: Int, minutes: Int = 30) -> Reading {
        Reading(meter: meters[Int(meterIndex[i])], start: start[i], minutes: minutes, kwh: kwh[i],
                quality: quality(at: i), rule: ruleName(at: i))
    }

    public var readings: [Reading] { (0..<count).map { reading(at: $0) } }
}

/// Whether a row's value field held a number.
public enum ValueStatus: UInt8, Sendable {
    case number = 0
    case empty = 1
    case notANumber = 2
}
