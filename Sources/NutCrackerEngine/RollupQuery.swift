import MeterAnalytics
import MeterCore
import MeterStore
import Synchronization

/// Rollups straight from the store: one pass over the matching readings, per meter or summed under
/// one name (a source, the fleet).
public enum RollupQuery {
    /// - Parameter total: the name to sum every reading under; nil for one row per meter and period.
    public static func run(store: any ReadingStore, filter: ReadingFilter, period: RollupPeriod, zone: TimeZoneSpec = .utc,
                           total: String? = nil, limit: Int = 100_000) async throws -> [RollupRow] {
        let state = Mutex((acc: RollupAccumulator(period: period, zone: zone, group: total), rows: [RollupRow]()))
        try await store.scan(filter) { r in
            state.withLock { s in
                if let row = s.acc.add(r), s.rows.count < limit { s.rows.append(row) }
            }
        }
        return state.withLock { s in
            let rest = s.acc.finish()
            return Array((s.rows + rest).prefix(limit))
        }
    }
}
