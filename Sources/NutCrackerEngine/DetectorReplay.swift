import MeterAnalytics
import MeterCore
import MeterStore
import Synchronization

/// Brings a detector set up to date from the store when a process starts, so that a restart does
/// not leave the fleet unwatched while the detectors learn again (days before a spike is trusted,
/// weeks before a burst is) and does not leave events open forever that nothing will close.
///
/// Each meter's measured readings of the fleet's last `days` days are replayed through the set in
/// time order, one meter after another, in one pass over the store (`DetectorSet.replay`): nothing is reported again, and what is
/// open at the end of a meter's history is open in the set, so it is updated and closed by the next
/// readings as if the process had never stopped. Then every event the store holds as open that the
/// set does not hold open (a source's outage, an event the replayed weeks no longer show) is closed
/// as it stands.
public enum DetectorReplay {
    public struct Summary: Sendable, Hashable {
        public var meters = 0
        public var readings = 0
        /// Events the store held open that nothing had open any more, now closed.
        public var closed = 0
    }

    /// - Parameter progress: told as meters are done (meters done, meters in all).
    /// - Parameter meters: the store's meters, with their latest readings.
    public static func run(_ set: inout DetectorSet, store: any ReadingStore, meters: [MeterSnapshot], days: Int,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Summary {
        var summary = Summary()
        if days > 0 {
            let known = Dictionary(meters.map { ($0.meter.id, $0.meter) }, uniquingKeysWith: { a, _ in a })
            if let last = meters.compactMap(\.latest?.start).max() {
                // One pass over the last weeks in (meter, time) order; the set is lent to the scan.
                let state = Mutex((set: set, summary: summary, current: MeterID?.none))
                set = DetectorSet(config: set.config, keepsHistory: set.keepsHistory)
                try await store.scan(ReadingFilter(from: last - Int64(days) * 86_400)) { r in
                    guard let meter = known[r.meter] else { return }
                    let done = state.withLock { s -> Int? in
                        var next: Int?
                        if s.current != r.meter {
                            s.current = r.meter
                            s.summary.meters += 1
                            next = s.summary.meters
                        }
                        guard r.quality == .actual, r.kwh.isFinite else { return next }
                        s.set.replay(meter: r.meter, source: meter.source, start: r.start, value: r.kwh, interval: meter.interval.seconds)
                        s.summary.readings += 1
                        return next
                    }
                    if let done { progress?(done, meters.count) }
                }
                // Taken back, not copied: a copy would share the meters' state and copy it all at the next reading.
                let empty = set
                (set, summary) = state.withLock { s in
                    defer { s.set = empty }
                    return (s.set, s.summary)
                }
            }
        }
        let open = Set(set.openEvents.map(\.id))
        var stale = try await store.anomalies(AnomalyFilter(openOnly: true), limit: Int.max).filter { !open.contains($0.id) }
        for i in stale.indices { stale[i].open = false }
        try await store.write(anomalies: stale)
        summary.closed = stale.count
        return summary
    }
}
