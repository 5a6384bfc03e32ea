import MeterCore

/// Reads a table pushed to it row by row (CSV records, spreadsheet rows): holds the first rows
/// until it can tell the layout, then turns every row into readings through that layout.
public struct TableIngest: Sendable {
    public let origin: String
    public let options: ReadOptions
    private var head: [TableRow] = []
    private var layout: (any TableLayout)?
    private var decoder: RowDecoder?
    private var time = TimeOptions()
    public private(set) var result = IngestResult()

    public init(origin: String, options: ReadOptions) {
        self.origin = origin
        self.options = options
    }

    /// Takes the next row; detection happens once enough rows are in.
    public mutating func push(_ row: TableRow) throws {
        if layout != nil, var d = decoder {
            decoder = nil
            layout?.take(row, decoder: &d, into: &result)
            decoder = d
            return
        }
        head.append(row)
        if head.count >= options.detectRows { try start() }
    }

    /// The result, after the last row.
    public mutating func finish() throws -> IngestResult {
        if layout == nil { try start() }
        if var d = decoder {
            layout?.finish(decoder: &d, into: &result)
            if let l = layout { result.layout = l.summary; result.interval = options.interval ?? l.interval }
            result.notes += Self.notes(kind: layout?.kind ?? .long, time: time, options: options, repeated: d.repeatedTimesResolved, naive: d.naiveTimes > 0)
        }
        return result
    }

    private mutating func start() throws {
        guard !head.isEmpty else { throw IngestError.empty(path: origin) }
        let (layout, headerIndex, time) = try Self.detect(head, origin: origin, options: options)
        self.time = time
        var d = RowDecoder(origin: origin, time: time, defaultMeter: options.meter, decimalComma: options.decimalComma ?? false)
        d.scale = options.mappingFile?.scale ?? 1
        if let g = layout as? GridLoadLayout, g.timeIsEnd, let i = g.interval { d.timeShift = -i.seconds }
        var l = layout
        result.layout = l.summary
        result.interval = options.interval ?? l.interval
        if l.kind == .gridLoad { result.limitOverride = .some(nil) }
        let rows = head
        head = []
        for row in rows.dropFirst(l.kind == .nem12 ? 0 : headerIndex + 1) { l.take(row, decoder: &d, into: &result) }
        self.layout = l
        self.decoder = d
    }

    /// What a person should know about how times were read.
    static func notes(kind: LayoutKind, time: TimeOptions, options: ReadOptions, repeated: Int, naive: Bool) -> [String] {
        var notes: [String] = []
        if kind == .nem12 && !options.zoneGiven {
            notes.append("times read in NEM time (\(time.zone)); give --timezone to read them otherwise")
        } else if !options.zoneGiven && naive {
            notes.append("times without an offset read as \(time.zone); give --timezone if they are local")
        }
        if time.dateOrder != .auto && options.time.dateOrder == .auto {
            notes.append("dates read \(time.dateOrder == .dayFirst ? "day first (d/m/y)" : "month first (m/d/y)"), as the file's dates show")
        }
        if time.ambiguous == .fileOrder && repeated > 0 {
            notes.append("repeated local hour (clocks going back): policy file-order\(options.ambiguousGiven ? "" : ", the default for this layout"); "
                         + "\(repeated) rows placed, the first of each pair as daylight time, the second as standard time")
        }
        return notes
    }

    /// Chooses the layout from the first rows: the one forced, else NEM12, wide-day, grid-load,
    /// long, in that order. Also settles the date order and the time options the layout implies.
    static func detect(_ head: [TableRow], origin: String, options: ReadOptions) throws -> (any TableLayout, Int, TimeOptions) {
        var time = options.time
        let forced = options.layout
        if forced == .nem12 || (forced == nil && NEM12Reader.detect(head)) {
            if !options.zoneGiven { time.zone = .fixed(seconds: 36_000) }
            return (NEM12Reader(), 0, time)
        }
        // The date order, from the time-like cells of the first rows.
        if time.dateOrder == .auto {
            let samples = head.flatMap { row in row.cells.prefix(8).enumerated().compactMap { _, c -> (String, Int)? in
                if case .text(let t) = c, DateOrderGuess.leadingPair(t) != nil { return (t, row.line) }
                return nil
            } }
            if let order = try DateOrderGuess.guess(samples, origin: origin) { time.dateOrder = order }
        }
        var probe = RowDecoder(origin: origin, time: time)
        if forced == nil || forced == .wide, let (l, k) = WideDayLayout.detect(head, options: options) { return (l, k, time) }
        if forced == nil || forced == .gridLoad, let (l, k) = GridLoadLayout.detect(head, options: options, decoder: &probe, origin: origin) {
            if !options.ambiguousGiven { time.ambiguous = .fileOrder }
            return (l, k, time)
        }
        if forced == nil || forced == .long, let (l, k) = LongLayout.detect(head, options: options, decoder: &probe) { return (l, k, time) }
        let first = head.first.map { $0.cells.prefix(12).map(\.text).joined(separator: ",") } ?? ""
        throw IngestError.unrecognisedLayout(path: origin, firstRow: String(first.prefix(200)), forced: forced)
    }
}
