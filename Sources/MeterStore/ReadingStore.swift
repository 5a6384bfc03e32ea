import MeterCore

/// Where readings live. One protocol, an embedded (SQLite) and a server (PostgreSQL)
/// implementation, one contract test suite for both.
///
/// Guarantees: a write is one transaction (all of it is durable when it returns, or none);
/// writing the same reading twice is a no-op; a different value for a stored `(meter, start)` is a
/// correction that keeps the old value as a version; an estimate never replaces a measured value.
public protocol ReadingStore: Sendable {
    /// Creates or upgrades the schema.
    func migrate() async throws
    /// Registers meters (or updates their source, kind and interval).
    func register(_ meters: [Meter]) async throws
    /// Stores a cleansed batch and its quarantined rows in one transaction.
    func write(_ batch: ReadingBatch, quarantine: [QuarantineEntry], info: BatchInfo) async throws -> WriteSummary
    /// Stores several batches in one transaction (group commit): all durable when it returns, or none.
    func write(group: [BatchWrite]) async throws -> [WriteSummary]
    /// Every meter with its latest reading.
    func meters() async throws -> [MeterSnapshot]
    /// One meter with its latest reading; nil when the store does not know it.
    func meter(_ id: MeterID) async throws -> MeterSnapshot?
    /// Readings of one meter, oldest first, `from` inclusive, `to` exclusive.
    func readings(meter: MeterID, from: Int64?, to: Int64?, limit: Int?) async throws -> [Reading]
    /// Calls `body` with every reading that matches, ordered by meter then start.
    func scan(_ filter: ReadingFilter, _ body: @Sendable (Reading) throws -> Void) async throws
    /// Earlier values of a reading, newest first.
    func versions(meter: MeterID, start: Int64) async throws -> [ReadingVersion]
    /// Quarantined rows, newest first.
    func quarantine(limit: Int) async throws -> [QuarantineEntry]
    /// Each meter's latest stored reading: where the next batch continues from.
    func latest(meters: [MeterID]) async throws -> [MeterID: Reading]
    /// Stores anomalies; a report of an event already stored (same id) replaces it.
    func write(anomalies: [Anomaly]) async throws
    /// Anomalies that match, newest start first.
    func anomalies(_ filter: AnomalyFilter, limit: Int) async throws -> [Anomaly]
    /// How many anomalies match, and how many of those are open (whatever a list's limit).
    func anomalyCounts(_ filter: AnomalyFilter) async throws -> (all: Int, open: Int)
    /// Each meter's last `count` readings, oldest first (a sparkline's worth); meters without any are left out.
    func recent(meters: [MeterID], count: Int) async throws -> [MeterID: [Reading]]
    /// Each register meter's latest raw read, as written with its batches.
    func registerReads() async throws -> [RegisterRead]
    /// Detector state kept across restarts under a name, per meter: bytes only the detectors read.
    func detectorState(named name: String) async throws -> [MeterID: [UInt8]]
    /// Keeps (replaces) meters' detector state under a name; meters the store does not know are skipped.
    func write(detectorState: [MeterID: [UInt8]], named name: String) async throws
}

extension ReadingStore {
    /// A store that keeps no raw register reads: a register meter's first read in a new process is a new baseline.
    public func registerReads() async throws -> [RegisterRead] { [] }

    /// A store that keeps no detector state: the detectors learn again from what a replay shows them.
    public func detectorState(named name: String) async throws -> [MeterID: [UInt8]] { [:] }
    public func write(detectorState: [MeterID: [UInt8]], named name: String) async throws {}

    public func anomalyCounts(_ filter: AnomalyFilter) async throws -> (all: Int, open: Int) {
        let all = try await anomalies(filter, limit: .max)
        return (all.count, all.filter(\.open).count)
    }
}

/// Which anomalies a query returns: any of the kinds, of a meter or a source, overlapping a time range.
public struct AnomalyFilter: Sendable, Hashable {
    public var kinds: Set<AnomalyKind>?
    public var meter: MeterID?
    public var source: SourceID?
    public var from: Int64?
    public var to: Int64?
    public var openOnly = false

    public init(kinds: Set<AnomalyKind>? = nil, meter: MeterID? = nil, source: SourceID? = nil, from: Int64? = nil, to: Int64? = nil,
                openOnly: Bool = false) {
        self.kinds = kinds
        self.meter = meter
        self.source = source
        self.from = from
        self.to = to
        self.openOnly = openOnly
    }
}

/// Which readings a scan visits.
public struct ReadingFilter: Sendable, Hashable {
    public var meter: MeterID?
    public var source: SourceID?
    public var from: Int64?
    public var to: Int64?

    public init(meter: MeterID? = nil, source: SourceID? = nil, from: Int64? = nil, to: Int64? = nil) {
        self.meter = meter
        self.source = source
        self.from = from
        self.to = to
    }
}

/// One batch of a group commit: cleansed readings, quarantined rows and their lineage.
public struct BatchWrite: Sendable {
    public var batch: ReadingBatch
    public var quarantine: [QuarantineEntry]
    public var info: BatchInfo
    /// The latest raw read of each register meter in the batch (its readings are the differences),
    /// kept with the batch so a later process continues the register where this one left it.
    public var registerReads: [RegisterRead]

    public init(batch: ReadingBatch, quarantine: [QuarantineEntry], info: BatchInfo, registerReads: [RegisterRead] = []) {
        self.batch = batch
        self.quarantine = quarantine
        self.info = info
        self.registerReads = registerReads
    }
}

/// A register meter's cumulative read (kWh on its register) at the start of an interval.
public struct RegisterRead: Sendable, Hashable {
    public var meter: MeterID
    public var start: Int64
    public var value: Double

    public init(meter: MeterID, start: Int64, value: Double) {
        self.meter = meter
        self.start = start
        self.value = value
    }
}

/// Lineage of one write: where the batch came from.
public struct BatchInfo: Sendable, Hashable {
    /// File path, URL or stream name.
    public var origin: String
    /// Source the batch's meters belong to unless `sources` names another.
    public var source: SourceID
    /// Per-meter sources and kinds read from the input.
    public var sources: [MeterID: SourceID]
    public var kinds: [MeterID: MeterKind]
    public var interval: IntervalLength

    public init(origin: String, source: SourceID = .unassigned, sources: [MeterID: SourceID] = [:],
                kinds: [MeterID: MeterKind] = [:], interval: IntervalLength = .halfHour) {
        self.origin = origin
        self.source = source
        self.sources = sources
        self.kinds = kinds
        self.interval = interval
    }
}

/// What a write did.
public struct WriteSummary: Sendable, Hashable, Codable {
    public var batch: Int64
    /// New `(meter, start)` keys.
    public var inserted = 0
    /// Stored keys that got a different value (the old one kept as a version).
    public var corrected = 0
    /// Rows identical to what was stored, or estimates where a measured value was stored.
    public var unchanged = 0
    public var quarantined = 0

    public init(batch: Int64) { self.batch = batch }
}

/// A meter with its latest reading.
public struct MeterSnapshot: Sendable, Hashable, Codable {
    public var meter: Meter
    public var latest: Reading?
}

/// A superseded value of a reading.
public struct ReadingVersion: Sendable, Hashable, Codable {
    public var version: Int
    public var kwh: Double
    public var quality: Quality
    public var rule: String?
    public var batch: Int64?
    /// When it was replaced (epoch seconds).
    public var supersededAt: Int64
}
