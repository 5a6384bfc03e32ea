import MeterCore
import MeterStore

/// A real store with one behaviour changed for a test: every requirement goes to `inner` except
/// what the wrapper declares itself (its group commit, typically). A single batch's write is a
/// group of one, so it meets the wrapper's behaviour too.
public protocol StoreWrapper: ReadingStore {
    var inner: SQLiteStore { get }
}

extension StoreWrapper {
    public func migrate() async throws { try await inner.migrate() }
    public func register(_ meters: [Meter]) async throws { try await inner.register(meters) }
    public func write(_ batch: ReadingBatch, quarantine: [QuarantineEntry], info: BatchInfo) async throws -> WriteSummary {
        try await write(group: [BatchWrite(batch: batch, quarantine: quarantine, info: info)])[0]
    }
    public func write(group: [BatchWrite]) async throws -> [WriteSummary] { try await inner.write(group: group) }
    public func meters() async throws -> [MeterSnapshot] { try await inner.meters() }
    public func meter(_ id: MeterID) async throws -> MeterSnapshot? { try await inner.meter(id) }
    public func readings(meter: MeterID, from: Int64?, to: Int64?, limit: Int?) async throws -> [Reading] {
        try await inner.readings(meter: meter, from: from, to: to, limit: limit)
    }
    public func scan(_ filter: ReadingFilter, _ body: @Sendable (Reading) throws -> Void) async throws { try await inner.scan(filter, body) }
    public func versions(meter: MeterID, start: Int64) async throws -> [ReadingVersion] { try await inner.versions(meter: meter, start: start) }
    public func quarantine(limit: Int) async throws -> [QuarantineEntry] { try await inner.quarantine(limit: limit) }
    public func latest(meters: [MeterID]) async throws -> [MeterID: Reading] { try await inner.latest(meters: meters) }
    public func write(anomalies: [Anomaly]) async throws { try await inner.write(anomalies: anomalies) }
    public func anomalies(_ filter: AnomalyFilter, limit: Int) async throws -> [Anomaly] { try await inner.anomalies(filter, limit: limit) }
    public func anomalyCounts(_ filter: AnomalyFilter) async throws -> (all: Int, open: Int) { try await inner.anomalyCounts(filter) }
    public func recent(meters: [MeterID], count: Int) async throws -> [MeterID: [Reading]] { try await inner.recent(meters: meters, count: count) }
    public func registerReads() async throws -> [RegisterRead] { try await inner.registerReads() }
}
