import Foundation

/// One interval of energy at one meter, as stored.
///
/// `start` is the interval's start in UTC epoch seconds and lies on the meter's grid.
public struct Reading: Hashable, Sendable, Codable {
    public var meter: MeterID
    public var start: Int64
    public var minutes: Int
    public var kwh: Double
    public var quality: Quality
    /// The rule that set `quality` when it is not `actual` (e.g. `gap_estimation`).
    public var rule: String?
    /// The ingest batch the value came from (lineage).
    public var batch: Int64?

    public init(meter: MeterID, start: Int64, minutes: Int = 30, kwh: Double, quality: Quality = .actual,
                rule: String? = nil, batch: Int64? = nil) {
        self.meter = meter
        self.start = start
        self.minutes = minutes
        self.kwh = kwh
        self.quality = quality
        self.rule = rule
        self.batch = batch
    }

    public var startDate: Date { Date(timeIntervalSince1970: TimeInterval(start)) }
}
