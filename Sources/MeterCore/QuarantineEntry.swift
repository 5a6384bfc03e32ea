/// A row that did not pass: kept with where it came from, why, and exactly what it said.
public struct QuarantineEntry: Hashable, Sendable, Codable {
    /// File name, URL or stream the row arrived in.
    public var origin: String
    /// 1-based line (or record) number in `origin`; 0 when unknown.
    public var line: Int
    /// The field at fault (`kwh`, `timestamp`, `meter_id`, ...), when one is.
    public var field: String?
    /// Machine-readable reason, e.g. `negative`, `conflicting_duplicate`, `nonexistent_local_time`.
    public var reason: String
    /// A sentence for people.
    public var detail: String
    /// The raw text of the row.
    public var raw: String
    public var meter: MeterID?
    public var start: Int64?

    public init(origin: String, line: Int, field: String?, reason: String, detail: String, raw: String,
                meter: MeterID? = nil, start: Int64? = nil) {
        self.origin = origin
        self.line = line
        self.field = field
        self.reason = reason
        self.detail = detail
        self.raw = raw
        self.meter = meter
        self.start = start
    }

    /// `file:line: field: detail`, the one-line form for terminals and logs.
    public var message: String {
        "\(origin):\(line): " + (field.map { "\($0): " } ?? "") + detail
    }
}
