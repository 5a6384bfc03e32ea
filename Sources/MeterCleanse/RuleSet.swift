import MeterCore

/// What VEE made of a batch.
public struct Cleansed: Sendable {
    /// The readings to store, sorted by meter (in the input's meter order) then start, with
    /// the input's meter table.
    public var batch: ReadingBatch
    /// Rows that went to quarantine, in meter then time order.
    public var rejections: [Rejection]
}

/// The VEE rules in the order they run: grid, duplicate, not-a-number, negative, register
/// difference, limit, gap estimation. The one path every reading takes into the store, from a file,
/// an API or the daily batch job.
public struct RuleSet: Sendable {
    public let config: VEEConfig
    let rules: [Rule]
    /// The gap rule, if estimation is on.
    public let gapEstimation: GapEstimation?

    /// One rule of the set. Called through this enum, a rule is compiled for the caller's sink and
    /// inlined; called through `any SeriesRule`, it would run unspecialized, and a live batch's
    /// series (one reading each) would spend more on the calls than on the checks.
    enum Rule: Sendable {
        case grid(GridCheck)
        case duplicate(DuplicateCheck)
        case notANumber(NotANumberCheck)
        case negative(NegativeCheck)
        case register(RegisterDifference)
        case limit(LimitCheck)
        case gap(GapEstimation)

        var name: String {
            switch self {
            case .grid: GridCheck.name
            case .duplicate: DuplicateCheck.name
            case .notANumber: NotANumberCheck.name
            case .negative: NegativeCheck.name
            case .register: RegisterDifference.name
            case .limit: LimitCheck.name
            case .gap: GapEstimation.name
            }
        }

        var isGapEstimation: Bool {
            if case .gap = self { true } else { false }
        }

        @inline(__always)
        func keepsAlone(_ r: LoneReading) -> Bool {
            switch self {
            case .grid(let rule): rule.keepsAlone(r)
            case .duplicate(let rule): rule.keepsAlone(r)
            case .notANumber(let rule): rule.keepsAlone(r)
            case .negative(let rule): rule.keepsAlone(r)
            case .register(let rule): rule.keepsAlone(r)
            case .limit(let rule): rule.keepsAlone(r)
            case .gap(let rule): rule.keepsAlone(r)
            }
        }

        @inline(__always)
        func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
            switch self {
            case .grid(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            case .duplicate(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            case .notANumber(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            case .negative(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            case .register(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            case .limit(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            case .gap(let r): r.apply(to: &series, anchor: anchor, sink: &sink, rejections: &rejections)
            }
        }
    }

    public init(_ config: VEEConfig = VEEConfig()) {
        self.config = config
        var rules: [Rule] = [
            .grid(GridCheck(interval: config.interval)),
            .duplicate(DuplicateCheck()),
            .notANumber(NotANumberCheck()),
            .negative(NegativeCheck()),
            .register(RegisterDifference(interval: config.interval, registerSize: config.registerSize)),
        ]
        if let max = config.maxKwh { rules.append(.limit(LimitCheck(maxKwh: max))) }
        gapEstimation = config.maxGap > 0 ? GapEstimation(interval: config.interval, maxGap: config.maxGap, delay: config.estimationDelay) : nil
        if let gapEstimation { rules.append(.gap(gapEstimation)) }
        self.rules = rules
    }

    /// The names of the rules, in order.
    public var names: [String] { rules.map(\.name) }

    /// `run(_:sink:kind:anchor:)` for the quality report's sink, the live pipeline's: compiled here
    /// for that sink (a generic function called from another module runs unspecialized).
    public func run(_ input: ReadingBatch, sink: inout QualityReportSink,
                    kind: (MeterID) -> MeterKind? = { _ in nil },
                    anchor: (MeterID) -> SeriesAnchor? = { _ in nil }) -> Cleansed {
        run(input, groups: Self.rowsByMeter(input), sink: &sink, kind: kind, anchor: anchor)
    }

    /// `run(_:sink:kind:anchor:)` for a stream whose interval meters' gaps wait for late readings
    /// (`VEEConfig.estimationDelay`): `waiting` holds each meter's gaps between batches, and this
    /// run updates it.
    public func run(_ input: ReadingBatch, sink: inout QualityReportSink,
                    kind: (MeterID) -> MeterKind? = { _ in nil },
                    anchor: (MeterID) -> SeriesAnchor?, waiting: inout OpenGaps) -> Cleansed {
        run(input, groups: Self.rowsByMeter(input), sink: &sink, kind: kind, anchor: anchor, waiting: &waiting, lonePath: true)
    }

    /// The same with each meter's anchor by its place in the batch's meter table, for a caller that
    /// keeps anchors by place instead of looking each meter up (`anchorAt`).
    public func run(_ input: ReadingBatch, sink: inout QualityReportSink,
                    kind: (MeterID) -> MeterKind? = { _ in nil },
                    anchorAt: (Int32) -> SeriesAnchor?, waiting: inout OpenGaps) -> Cleansed {
        run(input, groups: Self.rowsByMeter(input), sink: &sink, kind: kind, anchorAt: anchorAt, waiting: &waiting, lonePath: true)
    }

    /// Runs every rule over every meter of the batch.
    ///
    /// - Parameters:
    ///   - kind: the kind of each meter (interval when it answers nil).
    ///   - anchor: each meter's last stored value, to bridge gaps and registers across batches.
    public func run<S: OutcomeSink>(_ input: ReadingBatch, sink: inout S,
                                    kind: (MeterID) -> MeterKind? = { _ in nil },
                                    anchor: (MeterID) -> SeriesAnchor? = { _ in nil }) -> Cleansed {
        run(input, groups: Self.rowsByMeter(input), sink: &sink, kind: kind, anchor: anchor)
    }

    /// Runs every rule over the given meter groups of the batch (from `rowsByMeter`), so that
    /// several workers can each take a share of the meters.
    public func run<S: OutcomeSink>(_ input: ReadingBatch, groups: [(Int32, ArraySlice<Int32>)], sink: inout S,
                                    kind: (MeterID) -> MeterKind? = { _ in nil },
                                    anchor: (MeterID) -> SeriesAnchor? = { _ in nil }) -> Cleansed {
        var none = OpenGaps()
        return run(input, groups: groups, sink: &sink, kind: kind, anchor: anchor, waiting: &none, lonePath: true)
    }

    /// `lonePath`: false sends every meter's rows through the rules, as a check of the path that
    /// takes a meter's only reading, when every rule keeps it, straight to the output.
    func run<S: OutcomeSink>(_ input: ReadingBatch, groups: [(Int32, ArraySlice<Int32>)], sink: inout S,
                             kind: (MeterID) -> MeterKind?, anchor: (MeterID) -> SeriesAnchor?, waiting: inout OpenGaps,
                             lonePath: Bool) -> Cleansed {
        run(input, groups: groups, sink: &sink, kind: kind, anchorAt: { anchor(input.meters[Int($0)]) }, waiting: &waiting, lonePath: lonePath)
    }

    func run<S: OutcomeSink>(_ input: ReadingBatch, groups: [(Int32, ArraySlice<Int32>)], sink: inout S,
                             kind: (MeterID) -> MeterKind?, anchorAt: (Int32) -> SeriesAnchor?, waiting: inout OpenGaps,
                             lonePath: Bool) -> Cleansed {
        var out = ReadingBatch(meterTableOf: input)
        out.reserve(groups.reduce(0) { $0 + $1.1.count })
        var ruleIndex: [String: Int16] = [:]
        var rejections: [Rejection] = []
        func interned(_ name: String?) -> Int16 {
            guard let name else { return -1 }
            if let k = ruleIndex[name] { return k }
            let k = out.internRule(name)
            ruleIndex[name] = k
            return k
        }
        func keep(_ m: Int32, _ r: Int) {
            out.append(meter: m, start: input.start[r], kwh: input.kwh[r], quality: input.quality(at: r), rule: interned(input.ruleName(at: r)),
                       line: input.line(at: r))
        }
        // While every row so far is its meter's only reading, kept as it is and in the input's
        // order (the live case), the output is the input's first `asIs` rows: nothing is copied
        // until a row breaks that, and a batch that never does is its own output.
        var asIs = 0, copying = false
        func copyAsIs() {
            guard !copying else { return }
            copying = true
            for r in 0..<asIs { keep(input.meterIndex[r], r) }
        }
        // Each group visited here, not through `forEachSeries`'s closures: these locals are then
        // captured by no closure value, and need no checks at run time.
        var series = MeterSeries(meter: 0, kind: .interval)
        for g in groups.indices {
            if let r = visit(input, groups, g, into: &series, sink: &sink, rejections: &rejections, kind: kind, anchorAt: anchorAt,
                             waiting: &waiting, lonePath: lonePath) {
                if !copying, r == asIs {
                    asIs += 1
                } else {
                    copyAsIs()
                    keep(groups[g].0, r)
                }
                continue
            }
            copyAsIs()
            for i in 0..<series.count where series.alive[i] {
                let row = series.rows[i]
                out.append(meter: series.meter, start: series.start[i], kwh: series.kwh[i], quality: series.quality[i],
                           rule: interned(series.ruleName(at: i)), line: row >= 0 ? input.line(at: Int(row)) : 0)
            }
        }
        if !copying, asIs == input.count { return Cleansed(batch: input, rejections: rejections) }
        copyAsIs()
        return Cleansed(batch: out, rejections: rejections)
    }

    /// The core of every run: each meter's rows, in time order, through every rule; `body` then
    /// sees the meter's series (rows still `alive` are what VEE keeps). Consumers that only
    /// aggregate (the daily job) read the series here instead of building a cleansed batch.
    public func forEachSeries<S: OutcomeSink>(_ input: ReadingBatch, groups: [(Int32, ArraySlice<Int32>)], sink: inout S,
                                              rejections: inout [Rejection],
                                              kind: (MeterID) -> MeterKind? = { _ in nil },
                                              anchor: (MeterID) -> SeriesAnchor? = { _ in nil },
                                              _ body: (MeterSeries) -> Void) {
        var none = OpenGaps(), series = MeterSeries(meter: 0, kind: .interval)
        for g in groups.indices {
            _ = visit(input, groups, g, into: &series, sink: &sink, rejections: &rejections, kind: kind,
                      anchorAt: { anchor(input.meters[Int($0)]) }, waiting: &none, lonePath: false)
            body(series)
        }
    }

    /// One meter's group (`groups[g]`, read in place: taking a group out copies its slice, a retain
    /// and a release per meter): with `lonePath`, the row of a meter's only reading that every rule
    /// keeps as it is (`keepsAlone`: the live case, one reading a meter a batch, without building a
    /// series); otherwise nil, with `series` holding the meter's rows after every rule. `waiting`:
    /// the interval meters' gaps that wait for late readings, when the gap rule has a delay.
    func visit<S: OutcomeSink>(_ input: ReadingBatch, _ groups: [(Int32, ArraySlice<Int32>)], _ g: Int, into series: inout MeterSeries,
                                       sink: inout S, rejections: inout [Rejection], kind: (MeterID) -> MeterKind?,
                                       anchorAt: (Int32) -> SeriesAnchor?, waiting: inout OpenGaps, lonePath: Bool) -> Int? {
        let delayed = config.estimationDelay > 0 && config.maxGap > 0
        let m = groups[g].0
        let id = input.meters[Int(m)]
        let meterKind = kind(id) ?? .interval
        // An anchor only continues a series that starts after it (not a backfill of older data).
        let latest = anchorAt(m)
        func continued(from first: Int64) -> SeriesAnchor? { latest.flatMap { $0.start < first ? $0 : nil } }
        // A meter's waiting gaps are taken up by any rule set, one without a delay (a file's)
        // estimating what is still empty in them at once.
        let open: [OpenGap]? = meterKind == .interval && !waiting.isEmpty ? waiting.byMeter[id] : nil
        let waits = meterKind == .interval && (delayed || open != nil)
        if lonePath, groups[g].1.count == 1, let row = groups[g].1.first {
            let r = Int(row)
            let lone = LoneReading(start: input.start[r], kwh: input.kwh[r], status: input.status[r], kind: meterKind,
                                   anchor: continued(from: input.start[r]))
            // By index: a `for rule in rules` copies every rule out, a retain each. Where gaps
            // wait, the gap rule judges the reading with them (and moves them on when it keeps it).
            if waits {
                var gaps = open ?? []
                if rules.indices.allSatisfy({ rules[$0].isGapEstimation || rules[$0].keepsAlone(lone) }),
                   gapEstimation?.keepsAlone(lone, latest: latest, open: &gaps) == true {
                    if gaps != open ?? [] { waiting[id] = gaps }
                    return r
                }
            } else if rules.indices.allSatisfy({ rules[$0].keepsAlone(lone) }) {
                return r
            }
        }
        series.removeAll()
        series.meter = m
        series.kind = meterKind
        series.load(groups[g].1, from: input)
        let a = continued(from: series.start.first ?? .max)
        for k in rules.indices {
            if waits, case .gap(let rule) = rules[k] {
                var gaps = open ?? []
                rule.apply(to: &series, latest: latest, open: &gaps, sink: &sink, rejections: &rejections)
                if gaps != open ?? [] { waiting[id] = gaps }
            } else {
                rules[k].apply(to: &series, anchor: a, sink: &sink, rejections: &rejections)
            }
        }
        return nil
    }

    /// Row indices grouped by meter (meters in table order), each group in arrival order: a
    /// counting sort, two passes over the rows. Each meter's rows are put in time order when its
    /// series is loaded, by whichever worker takes that meter.
    public static func rowsByMeter(_ b: ReadingBatch) -> [(Int32, ArraySlice<Int32>)] {
        let meterCount = b.meters.count
        var offsets = [Int](repeating: 0, count: meterCount + 1)
        for m in b.meterIndex { offsets[Int(m) + 1] += 1 }
        for k in 0..<meterCount { offsets[k + 1] += offsets[k] }
        var order = [Int32](repeating: 0, count: b.count)
        var cursor = offsets
        for i in 0..<b.count {
            let m = Int(b.meterIndex[i])
            order[cursor[m]] = Int32(i)
            cursor[m] += 1
        }
        var groups: [(Int32, ArraySlice<Int32>)] = []
        groups.reserveCapacity(meterCount)
        for m in 0..<meterCount where offsets[m + 1] > offsets[m] {
            groups.append((Int32(m), order[offsets[m]..<offsets[m + 1]]))
        }
        return groups
    }
}
