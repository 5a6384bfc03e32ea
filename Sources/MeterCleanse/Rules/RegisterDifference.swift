import MeterCore

/// Turns a register meter's cumulative readings into interval energies.
///
/// A register value stamped `t` is the register at instant `t`; the interval that ends at `t` gets
/// the difference from the previous reading. A register that wraps at `registerSize` (e.g. 99999
/// to 00012) is a rollover and yields the true difference. A register that goes down otherwise is
/// a reset (meter exchange, tampering, a bad read): that row is quarantined and becomes the new
/// baseline, so no huge negative or positive interval is invented. A difference spanning several
/// intervals (missed reads) is spread evenly over them and flagged `estimated`.
public struct RegisterDifference: SeriesRule {
    public static let name = "register_difference"
    public static let baseline = Outcome(rule: name, name: "baseline", action: .dropped, summary: "Register first reads (baselines)")
    public static let rollover = Outcome(rule: name, name: "rollover", action: .kept, summary: "Register rollovers")
    public static let reset = Outcome(rule: name, name: "reset", action: .quarantined, summary: "Register resets, quarantined")
    public static let spread = Outcome(rule: name, name: "spread", action: .estimated, summary: "Register gaps spread over their slots")

    public let interval: IntervalLength
    public let registerSize: Double

    public init(interval: IntervalLength, registerSize: Double = 100_000) {
        self.interval = interval
        self.registerSize = registerSize
    }

    /// Only register meters' reads are turned into intervals.
    func keeps(_ kind: MeterKind) -> Bool { kind != .register }

    public func keepsAlone(_ r: LoneReading) -> Bool { keeps(r.kind) }

    public func apply<S: OutcomeSink>(to series: inout MeterSeries, anchor: SeriesAnchor?, sink: inout S, rejections: inout [Rejection]) {
        guard !keeps(series.kind) else { return }
        var out = series.emptyCopy()
        out.kind = .interval
        let tag = out.ruleIndex(Self.name)
        var prev: (start: Int64, value: Double)? = anchor.map { ($0.start, $0.value) }
        let step = interval.seconds
        for i in 0..<series.count where series.alive[i] {
            let t = series.start[i], v = series.kwh[i]
            guard let p = prev else {
                sink.record(Self.baseline, meter: series.meter, start: t, row: series.rows[i])
                prev = (t, v)
                continue
            }
            var diff = v - p.value
            if diff < 0 {
                if p.value >= 0.9 * registerSize, v <= 0.1 * registerSize {
                    diff += registerSize
                    sink.record(Self.rollover, meter: series.meter, start: t, row: series.rows[i])
                } else {
                    series.reject(i, Self.reset, field: "kwh",
                                  detail: "register went down from \(p.value) to \(v) without wrapping at \(registerSize): reset",
                                  sink: &sink, rejections: &rejections)
                    prev = (t, v)
                    continue
                }
            }
            let slots = max(1, (t - p.start) / step)
            if slots == 1 {
                out.append(row: series.rows[i], start: p.start, kwh: diff, status: .number)
            } else {
                let share = diff / Double(slots)
                for k in 0..<slots {
                    out.append(row: series.rows[i], start: p.start + k * step, kwh: share, status: .number, quality: .estimated)
                    out.rule[out.count - 1] = tag
                    sink.record(Self.spread, meter: series.meter, start: p.start + k * step, row: -1)
                }
            }
            prev = (t, v)
        }
        series = out
    }
}
