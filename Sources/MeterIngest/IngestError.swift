/// Why a whole input could not be read (as opposed to one bad row, which goes to quarantine).
public enum IngestError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case columnNotFound(role: String, lookedFor: [String], header: [String])
    case invalidOption(String)
    case unrecognisedLayout(path: String, firstRow: String, forced: LayoutKind?)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .empty(let p): return "\(p): no header line: the file is empty"
        case .columnNotFound(let role, let looked, let header):
            return "no \(role) column: looked for \(looked.joined(separator: ", ")) in header [\(header.prefix(20).joined(separator: ", "))]"
        case .invalidOption(let m): return m
        case .unrecognisedLayout(let p, let first, let forced):
            let what = forced.map { "the \($0.rawValue) layout asked for" } ?? """
                a NEM12 100 or 200 record; a wide-day header (a date column and 24, 48, 96 or 288 interval columns \
                headed 00:00 - 00:30 or 1..48); a grid-load header (a time column and columns like REGION_MW); \
                a long header (meter: \(ColumnMapping.meterNames.joined(separator: "/")); \
                time: \(ColumnMapping.timeNames.joined(separator: "/")); value: \(ColumnMapping.valueNames.joined(separator: "/")))
                """
            return "\(p): cannot tell the layout: looked for \(what) in the first rows, which begin '\(first)'. "
                + "Name the columns (--meter-column, --time-column, --value-column), pick --layout, or describe it in a --mapping file"
        }
    }
}
