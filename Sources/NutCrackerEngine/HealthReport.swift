import Foundation
import MeterAnalytics
import MeterCore
import MeterStore
import Synchronization

/// The health of every meter over a period, from the store: its readings by quality, the rows
/// quarantined for off-grid times, its anomalies and its source's peers. Worst first.
public enum HealthReport {
    public static func compute(store: any ReadingStore, from: Int64? = nil, to: Int64? = nil) async throws -> [MeterHealth] {
        struct Counts { var first = Int64.max, last = Int64.min, measured = 0, estimated = 0, kwh = 0.0, minutes = 30 }
        let counts = Mutex<[MeterID: Counts]>([:])
        try await store.scan(ReadingFilter(from: from, to: to)) { r in
            counts.withLock { all in
                var c = all[r.meter] ?? Counts()
                c.first = min(c.first, r.start)
                c.last = max(c.last, r.start)
                c.minutes = r.minutes
                if r.quality == .estimated { c.estimated += 1 } else { c.measured += 1 }
                c.kwh += r.kwh
                all[r.meter] = c
            }
        }
        let meters = try await store.meters()
        let sourceOf = Dictionary(meters.map { ($0.meter.id, $0.meter.source) }, uniquingKeysWith: { a, _ in a })
        let anomalies = try await store.anomalies(AnomalyFilter(from: from, to: to), limit: 1_000_000)
        var byMeter: [MeterID: [Anomaly]] = [:]
        for a in anomalies { if let m = a.meter { byMeter[m, default: []].append(a) } }
        var offGrid: [MeterID: Int] = [:]
        for q in try await store.quarantine(limit: 1_000_000) where q.reason == "off_grid" { if let m = q.meter { offGrid[m, default: 0] += 1 } }
        let all = counts.withLock { $0 }
        func daily(_ c: Counts) -> Double {
            let days = max(1.0, Double(c.last - c.first + Int64(c.minutes) * 60) / 86_400)
            return c.kwh / days
        }
        var peers: [SourceID: [Double]] = [:]
        for (m, c) in all { if let s = sourceOf[m] { peers[s, default: []].append(daily(c)) } }
        let medians = peers.mapValues { v -> Double? in
            guard v.count >= 3 else { return nil }
            let s = v.sorted()
            return s[s.count / 2]
        }
        // The period runs to the fleet's latest reading in it: a meter that stopped before then has
        // missed the intervals since, and is silent.
        let end = all.values.map(\.last).max() ?? 0
        return all.map { (m, c) -> MeterHealth in
            let step = Int64(c.minutes * 60)
            let expected = Int((end - c.first) / step) + 1
            let behind = end - c.last
            return MeterHealth.score(HealthInputs(meter: m, source: sourceOf[m], expected: expected, measured: c.measured, estimated: c.estimated,
                                                  offGrid: offGrid[m] ?? 0, dailyMean: daily(c), peerDailyMedian: sourceOf[m].flatMap { medians[$0] ?? nil },
                                                  anomalies: byMeter[m] ?? [], silentHours: behind >= 5 * step ? Double(behind) / 3600 : 0))
        }.sorted { $0.score != $1.score ? $0.score < $1.score : $0.meter.rawValue < $1.meter.rawValue }
    }
}
