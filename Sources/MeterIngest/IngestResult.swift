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

    public init() {}
}

/// Options every reader shares: how times are read and which meter rows belong to when the input
/// does not say.
public struct TimeOptions: Sendable, Hashable {
    public var zone: TimeZoneSpec = .utc
    public var ambiguous: AmbiguousTimePolicy = .reject
    public var nonexistent: NonexistentTimePolicy = .reject
    public var numeric: NumericTimeFormat = .auto

    public init(zone: TimeZoneSpec = .utc, ambiguous: AmbiguousTimePolicy = .reject,
                nonexistent: NonexistentTimePolicy = .reject, numeric: NumericTimeFormat = .auto) {
        self.zone = zone
        self.ambiguous = ambiguous
        self.nonexistent = nonexistent
        self.numeric = numeric
    }
}
