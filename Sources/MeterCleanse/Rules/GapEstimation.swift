import MeterCore

/// Fills short gaps by linear interpolation between the nearest values either side.
///
/// Between kept slots `p` and `n` with at most `maxGap` empty slots between them, slot `i` gets
/// `v[p] + (v[n] - v[p]) * (i - p) / (n - p)`, flagged `estimated`. Longer gaps stay empty and are
/// reported as missing, slot by slot. The gap before the first value of a batch is bridged from the
/// meter's anchor (its last stored value) when there is one.
///
/// With a `delay` (the live server's), the empty slots after an interval meter's latest value wait
/// as an `OpenGap` until its readings have moved `delay` intervals past the gap's last slot: a late
/// reading that arrives meanwhile splits the gap and is stored as measured, and only the slots still
/// empty then are estimated between their nearest values, or reported missing when too many. So
/// readings that arrive out of order by less than the delay are stored, estimated and reported as
/// if they had come in order. Readings older than the meter's latest (a backfill) are bridged among
/// themselves at once, as in any batch.
public struct GapEstimation: SeriesRule {
    public static let name = "gap_estimation"
    public static let estimated = Outcome(rule: name, name: "estimated", action: .estimated, summary: "Gaps estimated")
    public static let missing = Outcome(rule: name, name: "missing", action: .missing, summary: "Gap slots left empty (too long to estimate)")

    public let interval: IntervalLength
    public let maxGap: Int
    public let delay: Int

    public init(interval: IntervalLength, maxGap: Int, delay: Int = 0) {
        self.interval = interval
        self.maxGap = maxGap
        self.delay = delay
    }

    /// Whether a reading follows the one before it (at `last`, if any) with no slot between them, and
    /// has a value: nothing to estimate or leave out there.
    func continues(from last: Int64?, _ start: Int64, _ status: ValueStatus) -> Bool {
        status == .number && last.map { start <= $0 + interval.seconds } != false
    }

    public func keepsAlone(_ r: LoneReading) -> Bool { continues(from: r.anchor?.start, r.start, r.status) }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
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
        var prev = anchor
        for i in 0..<series.count where series.alive[i] {
            let here = SeriesAnchor(start: series.start[i], value: series.kwh[i])
            if let p = prev { bridge(p, here, into: &out, sink: &sink) }
            out.keep(i, of: series)
            prev = here
        }
        series = out
    }

    /// `apply` with the meter's waiting gaps: `latest` is its latest value (the anchor, wherever the
    /// series starts), and `open` its gaps, updated here (without a delay, every gap left is due). Estimates are appended to the series,
    /// which is then put back in time order; a batch that only opens or fills gaps (the usual live
    /// case) leaves it as it is.
    public func apply<S: OutcomeSink>(to series: inout MeterSeries, latest: SeriesAnchor?, open: inout [OpenGap],
                                      sink: inout S, rejections: inout [Rejection]) {
        guard delay > 0 || !open.isEmpty else {
            return apply(to: &series, anchor: latest.flatMap { $0.start < (series.start.first ?? .max) ? $0 : nil },
                         sink: &sink, rejections: &rejections)
        }
        let newest = latest?.start ?? .min
        let loaded = series.count
        var prev = latest, prevOlder: SeriesAnchor?
        for i in 0..<loaded where series.alive[i] {
            take(SeriesAnchor(start: series.start[i], value: series.kwh[i]), newest: newest, prev: &prev, prevOlder: &prevOlder,
                 open: &open) { p, n in bridge(p, n, into: &series, sink: &sink) }
        }
        // The gaps the meter's readings have now moved far enough past.
        if let reached = prev?.start, open.contains(where: { isDue($0, reached: reached) }) {
            for g in open where isDue(g, reached: reached) { bridge(g.before, g.after, into: &series, sink: &sink) }
            open.removeAll { isDue($0, reached: reached) }
        }
        if series.count > loaded { series.sortByStart() }
    }

    /// With a delay, whether a meter's only reading in a batch leaves its series as it is (it opens,
    /// splits or fills a gap, and none is due); if so, its gaps are moved on as `apply` would.
    public func keepsAlone(_ r: LoneReading, latest: SeriesAnchor?, open: inout [OpenGap]) -> Bool {
        guard r.status == .number else { return false }
        var next = open, prev = latest, prevOlder: SeriesAnchor?, bridges = false
        take(SeriesAnchor(start: r.start, value: r.kwh), newest: latest?.start ?? .min, prev: &prev, prevOlder: &prevOlder,
             open: &next) { _, _ in bridges = true }
        if bridges { return false }
        if let reached = prev?.start, next.contains(where: { isDue($0, reached: reached) }) { return false }
        open = next
        return true
    }

    /// One of a meter's values, in time order, with its latest start before the batch (`newest`):
    /// a late one splits the gap it falls in, and older ones name the pairs to bridge now
    /// among themselves (where no gap waits between them); a new one after an empty slot opens a gap.
    private func take(_ here: SeriesAnchor, newest: Int64, prev: inout SeriesAnchor?, prevOlder: inout SeriesAnchor?,
                      open: inout [OpenGap], bridge: (SeriesAnchor, SeriesAnchor) -> Void) {
        let step = interval.seconds
        if here.start <= newest {
            if let k = open.firstIndex(where: { $0.contains(here.start) }) {
                let g = open[k]
                open.remove(at: k)
                if here.start - g.before.start > step { open.append(OpenGap(before: g.before, after: here)) }
                if g.after.start - here.start > step { open.append(OpenGap(before: here, after: g.after)) }
            }
            if let p = prevOlder, here.start > p.start + step,
               !open.contains(where: { $0.before.start == p.start && $0.after.start == here.start }) {
                bridge(p, here)
            }
            prevOlder = here
        } else {
            if let p = prev, here.start > p.start + step { open.append(OpenGap(before: p, after: here)) }
            prev = here
        }
    }

    /// Whether a meter's readings, at `reached`, are `delay` intervals past a gap's last slot.
    private func isDue(_ g: OpenGap, reached: Int64) -> Bool {
        g.after.start - interval.seconds + Int64(delay) * interval.seconds <= reached
    }

    /// The empty slots between two values: estimated when they are at most `maxGap`, else reported missing.
    private func bridge<S: OutcomeSink>(_ p: SeriesAnchor, _ n: SeriesAnchor, into out: inout MeterSeries, sink: inout S) {
        let step = interval.seconds
        guard n.start > p.start + step else { return }
        let gap = (n.start - p.start) / step - 1
        guard gap <= Int64(maxGap) else {
            sink.recordRun(Self.missing, meter: out.meter, start: p.start + step, step: step, count: Int(gap))
            return
        }
        let span = Double(gap + 1)
        let tag = out.ruleIndex(Self.name)
        for k in 1...gap {
            let s = p.start + k * step
            out.append(row: -1, start: s, kwh: p.value + (n.value - p.value) * Double(k) / span, status: .number, quality: .estimated)
            out.rule[out.count - 1] = tag
            sink.record(Self.estimated, meter: out.meter, start: s, row: -1)
        }
    }

    /// The gaps of a meter's last values (in time order) that wait still: those whose last slot the
    /// values have not moved `delay` intervals past. A process that starts again takes up its
    /// meters' gaps from what it stored.
    public func waiting(in values: [SeriesAnchor]) -> [OpenGap] {
        guard delay > 0, let reached = values.last?.start else { return [] }
        let step = interval.seconds
        return zip(values, values.dropFirst()).compactMap { p, n in
            let gap = (n.start - p.start) / step - 1
            guard gap >= 1, n.start - step + Int64(delay) * step > reached else { return nil }
            return OpenGap(before: p, after: n)
        }
    }
}
