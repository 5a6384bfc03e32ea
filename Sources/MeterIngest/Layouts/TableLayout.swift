import MeterCore

/// The layouts a table of readings comes in.
public enum LayoutKind: String, Sendable, CaseIterable {
    /// One reading per row: meter, time, value (and optional quality, end, source, kind).
    case long
    /// One row per meter and day, one column per interval (`00:00 - 00:30` ... or 1..48).
    case wide = "wide-day"
    /// A grid operator's load: a time column and one column of power per region (`DAYTON_MW`).
    case gridLoad = "grid-load"
    /// AEMO's Meter Data File Format, NEM12: 100/200/300/400/500/900 records.
    case nem12
}

/// Turns the rows of a table (after its header) into readings. Each layout is a value type that
/// knows its columns; detection builds it from the first rows of the input.
public protocol TableLayout: Sendable {
    var kind: LayoutKind { get }
    /// What was chosen, for the import summary: columns, units, conventions.
    var summary: String { get }
    /// The interval the layout states or implies, if any.
    var interval: IntervalLength? { get }
    mutating func take(_ row: TableRow, decoder: inout RowDecoder, into result: inout IngestResult)
    /// Called once after the last row (a layout that holds a record back flushes it).
    mutating func finish(decoder: inout RowDecoder, into result: inout IngestResult)
}

extension TableLayout {
    public mutating func finish(decoder: inout RowDecoder, into result: inout IngestResult) {}
}

/// How an input is to be read: what the user said, and what a mapping file says.
public struct ReadOptions: Sendable {
    public var mapping = ColumnMapping()
    public var time = TimeOptions()
    /// Whether the zone, the repeated-hour policy and the interval were given (else layouts pick theirs).
    public var zoneGiven = false
    public var ambiguousGiven = false
    public var interval: IntervalLength?
    public var meter: MeterID?
    public var layout: LayoutKind?
    public var sheet: String?
    public var delimiter: UInt8?
    public var decimalComma: Bool?
    /// A vendor layout described in a mapping file.
    public var mappingFile: MappingFile?
    /// Rows read from the start of the input to detect its layout.
    public var detectRows = 400
    /// Meters the input likely names first, in order, as the request before it from the same
    /// gateway named them (`RowDecoder.meterHint`), for the CSV reader to take as a hint.
    public var meterHint: [MeterID] = []

    public init() {}

    /// Options that only name the zone of times without an offset.
    public static func zone(_ zone: TimeZoneSpec) -> ReadOptions {
        var o = ReadOptions()
        o.time.zone = zone
        o.zoneGiven = true
        return o
    }

    /// These options with a mapping file's settings applied (the command line still wins where given).
    public func applying(_ file: MappingFile) -> ReadOptions {
        var o = self
        o.mappingFile = file
        if o.layout == nil { o.layout = file.layout }
        if o.mapping.meter == nil { o.mapping.meter = file.columns.meter }
        if o.mapping.time == nil { o.mapping.time = file.columns.time }
        if o.mapping.value == nil { o.mapping.value = file.columns.value }
        if o.mapping.quality == nil { o.mapping.quality = file.columns.quality }
        if o.mapping.source == nil { o.mapping.source = file.columns.source }
        if o.mapping.end == nil { o.mapping.end = file.columns.end }
        if !o.zoneGiven, let z = file.timezone { o.time.zone = z; o.zoneGiven = true }
        if !o.ambiguousGiven, let a = file.ambiguous { o.time.ambiguous = a; o.ambiguousGiven = true }
        if o.time.dateOrder == .auto, let d = file.dateOrder { o.time.dateOrder = d }
        if o.interval == nil { o.interval = file.interval }
        if o.delimiter == nil { o.delimiter = file.delimiter }
        if o.decimalComma == nil { o.decimalComma = file.decimalComma }
        if o.meter == nil { o.meter = file.meter }
        return o
    }
}

/// Words that mean an interval was estimated or substituted, in quality and "estimated?" columns.
enum QualityWords {
    static func quality(_ text: String) -> Quality? {
        let t = text.trimmingSpaces.lowercased()
        switch t {
        case "", "no", "n", "false", "0", "actual", "a", "measured", "read": return t.isEmpty ? nil : .actual
        case "yes", "y", "true", "1", "estimated", "e", "estimate": return .estimated
        case "s", "f", "substituted", "edited": return .edited
        default: return Quality(name: t)
        }
    }
}
