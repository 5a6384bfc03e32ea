import MeterCore

/// Fills short gaps by linear interpolation between the nearest values either side.
///
/// Between kept slots `p` and `n` with at most `maxGap` empty slots between them, slot `i` gets
/// `v[p] + (v[n] - v[p]) * (i - p) / (n - p)`, flagged `estimated`. Longer gaps stay empty and are
/// reported as missing, slot by slot. The gap before the first value of a batch is bridged from the
/// meter's anchor (its last stored value) when there is one.
public struct GapEstimation: SeriesRule {
    public static let name = "gap_estimation"
    public static let estimated = Outcome(rule: name, name: "estimated", action: .estimated, summary: "Gaps estimated")
    public static let missing = Outcome(rule: name, name: "missing", action: .missing, summary: "Gap slots left empty (too long to estimate)")

    public let interval: IntervalLength
    public let maxGap: Int

    public init(interval: IntervalLength, maxGap: Int) {
        self.interval = interval
        self.maxGap = maxGap
    }

    /// Whether a reading follows the one before it (at `last`, if any) with no slot between them, and
    /// has a value: nothing to estimate or leave out there.
    func continues(from last: Int64?, _ start: Int64, _ status: ValueStatus) -> Bool {
        status == .number && last.map { start <= $0 + interval.seconds } != false
    }

    public func keepsAlone(_ r: LoneReading) -> Bool { continues(from: r.anchor?.start, r.start, r.status) }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        let step = interval.seconds
        // Nothing to fill or leave out (the usual live batch): the series stays as it is.
        var last = anchor?.start
        var untouched = true
        for i in 0..<series.count {
            if !series.alive[i] || !continues(from: last, series.start[i], series.status[i]) { untouched = false; break }
            last = series.start[i]
        }
        if untouched { return }
        var out = series.emptyCopy()
        out.reserve(series.count + 8)
        let tag = out.ruleIndex(Self.name)
        var prev: (start: Int64, value: Double)? = anchor.map { ($0.start, $0.value) }
        for i in 0..<series.count where series.alive[i] {
            let t = series.start[i], v = series.kwh[i]
            if let p = prev, t > p.start + step {
                let gap = (t - p.start) / step - 1
                if gap <= Int64(maxGap) {
                    let span = Double(gap + 1)
                    for k in 1...gap {
                        let s = p.start + k * step
                        out.append(row: -1, start: s, kwh: p.value + (v - p.value) * Double(k) / span, status: .number, quality: .estimated)
                        out.rule[out.count - 1] = tag
                        sink.record(Self.estimated, meter: series.meter, start: s, row: -1)
                    }
                } else {
                    sink.recordRun(Self.missing, meter: series.meter, start: p.start + step, step: step, count: Int(gap))
                }
            }
            out.append(row: series.rows[i], start: t, kwh: v, status: .number, quality: series.quality[i])
            out.rule[out.count - 1] = series.rule[i]
            prev = (t, v)
        }
        series = out
    }
}
