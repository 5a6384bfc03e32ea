import MeterCleanse
import MeterCore

/// A batch of one meter from (start slot, value) pairs; nil values are empty fields.
func batch(_ rows: [(Int64, Double?)], meter: String = "M1", slot: Int64 = 1800) -> ReadingBatch {
    var b = ReadingBatch()
    let m = b.intern(MeterID(meter)!)
    for (i, (s, v)) in rows.enumerated() {
        if let v {
            b.append(meter: m, start: s * slot, kwh: v, line: Int32(i + 2))
        } else {
            b.append(meter: m, start: s * slot, kwh: .nan, status: .empty, line: Int32(i + 2))
        }
    }
    return b
}

/// Runs a rule set with a quality report.
func run(_ rules: RuleSet, _ b: ReadingBatch, kind: MeterKind = .interval, anchor: SeriesAnchor? = nil)
    -> (Cleansed, QualityReport) {
    var sink = QualityReportSink(meters: b.meters)
    let c = rules.run(b, sink: &sink, kind: { _ in kind }, anchor: { _ in anchor })
    return (c, sink.report)
}

/// Values of the cleansed batch by slot index.
func values(_ c: Cleansed, slot: Int64 = 1800) -> [Int64: Double] {
    var out: [Int64: Double] = [:]
    for i in 0..<c.batch.count { out[c.batch.start[i] / slot] = c.batch.kwh[i] }
    return out
}

let m1 = MeterID("M1")!
