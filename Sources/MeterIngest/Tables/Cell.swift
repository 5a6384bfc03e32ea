/// One cell of a table read from any tabular input: text from a CSV field, or a typed value from
/// a spreadsheet.
public enum Cell: Sendable, Hashable {
    case empty
    case text(String)
    case number(Double)
    case bool(Bool)
    /// A number the workbook formats as a date or time: days since 1899-12-30 (already moved from
    /// the 1904 date system when the workbook uses it), the fraction being the time of day.
    case date(Double)

    /// The cell as text, as a person would read it (numbers without a trailing `.0`).
    public var text: String {
        switch self {
        case .empty: return ""
        case .text(let s): return s
        case .number(let d), .date(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        case .bool(let b): return b ? "TRUE" : "FALSE"
        }
    }

    public var isEmpty: Bool {
        switch self {
        case .empty: return true
        case .text(let s): return s.allSatisfy { $0 == " " || $0 == "\t" }
        default: return false
        }
    }
}

/// A row of cells and where it came from (1-based line of a text file, row number of a sheet).
public struct TableRow: Sendable, Hashable {
    public var cells: [Cell]
    public var line: Int

    public init(cells: [Cell], line: Int) {
        self.cells = cells
        self.line = line
    }

    public subscript(_ column: Int) -> Cell { column >= 0 && column < cells.count ? cells[column] : .empty }

    /// The row as one CSV line, for quarantine entries.
    public var raw: String {
        cells.map { c -> String in
            let t = c.text
            return t.contains(",") || t.contains("\"") ? "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : t
        }.joined(separator: ",")
    }
}
