import MeterCore

/// A known anomaly: what was injected, where and when (the ground truth of an evaluation).
public struct TruthEvent: Sendable, Hashable, Codable {
    public var kind: AnomalyKind
    public var meter: MeterID?
    public var source: SourceID?
    public var start: Int64
    public var end: Int64

    public init(kind: AnomalyKind, meter: MeterID?, source: SourceID?, start: Int64, end: Int64) {
        self.kind = kind
        self.meter = meter
        self.source = source
        self.start = start
        self.end = end
    }
}

/// Precision, recall and F1 of one anomaly kind against ground truth, and how long detection took.
public struct KindScore: Sendable, Hashable, Codable {
    public var kind: AnomalyKind
    /// Truth events of this kind, and how many some detection found.
    public var truth = 0
    public var found = 0
    /// Detections of this kind, and how many match a truth event.
    public var detections = 0
    public var correct = 0
    /// Detections that match no truth event but an anomaly the data already had before anything was
    /// injected (real data's own events): neither right nor wrong, and counted apart.
    public var known = 0
    /// Onset to detection, seconds: median and worst over the events found.
    public var medianDelay: Int64 = 0
    public var maxDelay: Int64 = 0

    public var recall: Double { truth == 0 ? .nan : Double(found) / Double(truth) }
    /// Correct detections among those that are not the data's own known events.
    public var precision: Double { detections - known == 0 ? .nan : Double(correct) / Double(detections - known) }
    /// Correct detections among all, the data's own events counted as false.
    public var strictPrecision: Double { detections == 0 ? .nan : Double(correct) / Double(detections) }
    public var f1: Double {
        let p = precision, r = recall
        return p.isNaN || r.isNaN || p + r == 0 ? .nan : 2 * p * r / (p + r)
    }
}

/// Scores detections against truth per kind: a truth event is found when a detection of its kind
/// (or one of the kinds that also explain it) covers part of it for the same meter or source; a
/// detection is correct when it covers part of a truth event it may explain, and known when it
/// instead covers part of an event of its kind the data had before injection (`known`: the same
/// detectors run on the untouched data), so real data's own anomalies are counted apart, not as false.
public enum DetectionScoring {
    /// Kinds that also count as finding a truth kind (an injected outlier breaches the learned limit too).
    public static let alsoExplains: [AnomalyKind: [AnomalyKind]] = [.spike: [.boundary]]

    /// Events that start before `from` (the detectors' learning period) are not scored.
    public static func score(truth allTruth: [TruthEvent], detections allDetections: [Anomaly], kinds: [AnomalyKind],
                             from: Int64 = .min, known allKnown: [Anomaly] = []) -> [KindScore] {
        let truth = allTruth.filter { $0.start >= from }
        let detections = allDetections.filter { $0.start >= from }
        func same(_ t: TruthEvent, _ a: Anomaly) -> Bool {
            if let m = t.meter { return a.meter == m }
            return a.meter == nil && a.source == t.source
        }
        func overlaps(_ t: TruthEvent, _ a: Anomaly) -> Bool { a.start < t.end && t.start < a.end }
        // Index detections by meter or source so matching stays near linear.
        func owner(_ meter: MeterID?, _ source: SourceID?) -> String { meter?.rawValue ?? "source:" + (source?.rawValue ?? "-") }
        var byOwner: [String: [Anomaly]] = [:]
        for a in detections { byOwner[owner(a.meter, a.source), default: []].append(a) }
        var knownByOwner: [String: [Anomaly]] = [:]
        for a in allKnown where a.start >= from { knownByOwner[owner(a.meter, a.source), default: []].append(a) }
        var truthByOwner: [String: [TruthEvent]] = [:]
        for t in truth { truthByOwner[owner(t.meter, t.source), default: []].append(t) }
        return kinds.map { kind in
            var s = KindScore(kind: kind)
            let accepted = Set([kind] + (alsoExplains[kind] ?? []))
            var delays: [Int64] = []
            for t in truth where t.kind == kind {
                s.truth += 1
                let hits = (byOwner[owner(t.meter, t.source)] ?? []).filter { accepted.contains($0.kind) && same(t, $0) && overlaps(t, $0) }
                if let first = hits.min(by: { $0.detectedAt < $1.detectedAt }) {
                    s.found += 1
                    delays.append(max(0, first.detectedAt - t.start))
                }
            }
            for a in detections where a.kind == kind {
                s.detections += 1
                let key = owner(a.meter, a.source)
                if (truthByOwner[key] ?? []).contains(where: { ($0.kind == kind || (alsoExplains[$0.kind] ?? []).contains(kind)) && same($0, a) && overlaps($0, a) }) {
                    s.correct += 1
                } else if (knownByOwner[key] ?? []).contains(where: { $0.kind == kind && $0.start < a.end && a.start < $0.end }) {
                    s.known += 1
                }
            }
            delays.sort()
            s.medianDelay = delays.isEmpty ? 0 : delays[delays.count / 2]
            s.maxDelay = delays.last ?? 0
            return s
        }
    }
}
