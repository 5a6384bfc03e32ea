import MeterCore

/// Register reversals and resets, on a register meter's cumulative reads: a read below the last
/// one that is not a rollover (the last near the register's top, this one near zero) is a reset
/// when it falls to near zero and a reversal otherwise.
public struct RegisterDetector: Sendable {
    public var registerSize: Double
    private var last: Double?

    public init(registerSize: Double = 100_000) { self.registerSize = registerSize }

    public mutating func observe(meter: MeterID, source: SourceID?, start: Int64, interval: Int64, register value: Double,
                                 into out: inout [Anomaly]) {
        guard value.isFinite else { return }
        defer { last = value }
        guard let l = last, value < l else { return }
        if l > 0.9 * registerSize && value < 0.1 * registerSize { return } // rollover
        let reset = value < 0.01 * l || value < 1
        out.append(Anomaly(kind: reset ? .registerReset : .registerReversal, meter: meter, source: source, start: start, end: start + interval,
                           detectedAt: start, severity: reset ? .critical : .warning, score: l - value, expected: l, observed: value,
                           detail: reset ? "register fell from \(l) to \(value): replaced or reset" : "register went back from \(l) to \(value)"))
    }
}
