import MeterCore

/// What a reader made of one input: the rows it could read as columns, the rows it could not
/// (each with file, line, field and raw text), and how it read the input.
public struct IngestResult: Sendable {
    public var batch = ReadingBatch()
    public var problems: [QuarantineEntry] = []
    /// Data rows seen (header and blank lines excluded).
    public var rowsRead = 0
    /// Sources named by a `source` column, per meter.
    public var sources: [MeterID: SourceID] = [:]
    /// Meter kinds named by a `kind` column, per meter.
    public var kinds: [MeterID: MeterKind] = [:]
    /// How the input was read: layout, delimiter, columns.
    public var layout = ""
    /// The interval length the input states or implies (a NEM12 200 record, 48 columns a day).
    public var interval: IntervalLength?
    /// The largest credible value of one interval for this kind of input, when it differs from a
    /// household meter's (a grid operator's load); nil to keep the configured limit.
    public var limitOverride: Double??
    /// What a person should know about how the input was read (policies applied, units converted).
    public var notes: [String] = []

    public init() {}
}

/// Options every reader shares: how times are read and which meter rows belong to when the input
/// does not say.
public struct TimeOptions: Sendable, Hashable {
    public var zone: TimeZoneSpec = .utc
    public var ambiguous: AmbiguousTimePolicy = .reject
    public var nonexistent: NonexistentTimePolicy = .reject
    public var numeric: NumericTimeFormat = .auto
    public var dateOrder: DateOrder = .auto

    public init(zone: TimeZoneSpec = .utc, ambiguous: AmbiguousTimePolicy = .reject,
                nonexistent: NonexistentTimePolicy = .reject, numeric: NumericTimeFormat = .auto, dateOrder: DateOrder = .auto) {
        self.dateOrder = dateOrder
        self.zone = zone
        self.ambiguous = ambiguous
        self.nonexistent = nonexistent
        self.numeric = numeric
    }
}
