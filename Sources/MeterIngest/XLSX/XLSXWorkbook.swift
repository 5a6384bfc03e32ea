import Foundation
import ZIPFoundation

/// An .xlsx workbook opened for reading: its sheets by name, its date system, shared strings and
/// which cell styles are dates. Sheets are read as a stream of rows straight from the compressed
/// entry, so memory stays flat however long the sheet is.
public struct XLSXWorkbook {
    public let path: String
    public let sheets: [(name: String, part: String)]
    /// The workbook counts dates from 1904-01-01 rather than 1899-12-30.
    public let date1904: Bool
    /// Most columns a row may have: the format's own limit (XFD).
    public static let maxColumns = 16_384
    private let archive: Archive
    private let shared: [String]
    private let dateStyles: [Bool]

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw IngestError.unreadable(path: path, reason: "no such file") }
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw IngestError.unreadable(path: path, reason: "not a readable .xlsx workbook (the ZIP container is damaged or truncated: \(error))")
        }
        let a = archive
        func part(_ name: String) throws -> Entry {
            guard let e = a[name] else { throw IngestError.unreadable(path: path, reason: "not an .xlsx workbook: no part \(name)") }
            return e
        }
        func events(_ name: String, _ handle: (XMLPushScanner.Event) throws -> Void) throws {
            let entry = try part(name)
            var scanner = XMLPushScanner()
            do {
                _ = try a.extract(entry, bufferSize: 1 << 16) { data in try scanner.feed(data, handle) }
                try scanner.feed([], isFinal: true, handle)
            } catch let e as IngestError {
                throw e
            } catch {
                throw IngestError.unreadable(path: path, reason: "part \(name): \(error)")
            }
        }
        func rels(_ name: String, base: String) throws -> [String: (type: String, target: String)] {
            var out: [String: (String, String)] = [:]
            guard a[name] != nil else { return out }
            try events(name) { e in
                guard case .start(let n, let attrs, _) = e, n == "Relationship" else { return }
                let d = Dictionary(attrs.map { (String($0.name), $0.value) }, uniquingKeysWith: { x, _ in x })
                guard let id = d["Id"], let target = d["Target"] else { return }
                out[id] = (d["Type"] ?? "", Self.resolve(target, base: base))
            }
            return out
        }
        // The workbook part, from the package relationships.
        let top = try rels("_rels/.rels", base: "")
        let workbookPart = top.values.first { $0.type.hasSuffix("/officeDocument") }?.target ?? "xl/workbook.xml"
        let base = workbookPart.contains("/") ? String(workbookPart[..<(workbookPart.lastIndex(of: "/") ?? workbookPart.endIndex)]) + "/" : ""
        let wbRels = try rels(base + "_rels/" + (workbookPart.split(separator: "/").last.map(String.init) ?? "workbook.xml") + ".rels", base: base)
        var sheets: [(String, String)] = []
        var date1904 = false
        try events(workbookPart) { e in
            guard case .start(let n, let attrs, _) = e else { return }
            if n == "workbookPr", let v = attrs.first(where: { $0.name == "date1904" })?.value { date1904 = v == "1" || v == "true" }
            if n == "sheet", let name = attrs.first(where: { $0.name == "name" })?.value,
               let id = attrs.first(where: { $0.name == "id" })?.value, let target = wbRels[id]?.target {
                sheets.append((name, target))
            }
        }
        guard !sheets.isEmpty else { throw IngestError.unreadable(path: path, reason: "the workbook lists no sheets") }
        self.sheets = sheets
        self.date1904 = date1904
        // Shared strings: every <si>, its <t> runs joined, phonetic runs left out.
        var shared: [String] = []
        if let sst = wbRels.values.first(where: { $0.type.hasSuffix("/sharedStrings") })?.target, a[sst] != nil {
            var current = "", inT = false, inPhonetic = false
            try events(sst) { e in
                switch e {
                case .start(let n, _, let selfClosing):
                    if n == "si" { current = ""; if selfClosing { shared.append("") } }
                    else if n == "t" { inT = !selfClosing }
                    else if n == "rPh" { inPhonetic = true }
                case .end(let n):
                    if n == "si" { shared.append(current) } else if n == "t" { inT = false } else if n == "rPh" { inPhonetic = false }
                case .text(let s):
                    if inT && !inPhonetic { current += s }
                }
            }
        }
        self.shared = shared
        // Styles: which cell formats show dates.
        var customDate: [Int: Bool] = [:]
        var styles: [Bool] = []
        if let st = wbRels.values.first(where: { $0.type.hasSuffix("/styles") })?.target, a[st] != nil {
            var inCellXfs = false
            try events(st) { e in
                switch e {
                case .start(let n, let attrs, let selfClosing):
                    if n == "numFmt", let id = attrs.first(where: { $0.name == "numFmtId" }).flatMap({ Int($0.value) }),
                       let code = attrs.first(where: { $0.name == "formatCode" })?.value {
                        customDate[id] = Self.isDateFormat(code)
                    } else if n == "cellXfs" {
                        inCellXfs = !selfClosing
                    } else if n == "xf", inCellXfs {
                        let id = attrs.first(where: { $0.name == "numFmtId" }).flatMap { Int($0.value) } ?? 0
                        styles.append(customDate[id] ?? Self.builtinDateFormats.contains(id))
                    }
                case .end(let n):
                    if n == "cellXfs" { inCellXfs = false }
                case .text:
                    break
                }
            }
        }
        dateStyles = styles
    }

    /// Built-in number formats that show a date or time.
    static let builtinDateFormats: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

    /// Whether a format code shows a date or time: it has d, m, y, h or s outside quotes and brackets.
    static func isDateFormat(_ code: String) -> Bool {
        var inQuote = false, inBracket = false, escaped = false
        for ch in code.lowercased() {
            if escaped { escaped = false; continue }
            switch ch {
            case "\\": escaped = true
            case "\"": inQuote.toggle()
            case "[": if !inQuote { inBracket = true }
            case "]": inBracket = false
            case "d", "m", "y", "h", "s": if !inQuote && !inBracket { return true }
            default: break
            }
        }
        return false
    }

    static func resolve(_ target: String, base: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = (base + target).split(separator: "/").map(String.init)
        var out: [String] = []
        for p in parts where p != "." { if p == ".." { _ = out.popLast() } else { out.append(p) } }
        parts = out
        return parts.joined(separator: "/")
    }

    /// The index of the sheet named (or `#n`, 1-based), or an error listing the sheets there are.
    public func sheetIndex(_ name: String) throws -> Int {
        if name.hasPrefix("#"), let k = Int(name.dropFirst()), k >= 1, k <= sheets.count { return k - 1 }
        if let k = sheets.firstIndex(where: { $0.name == name }) ?? sheets.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
            return k
        }
        throw IngestError.invalidOption("\(path): no sheet '\(name)'; the workbook has \(sheets.map { "'\($0.name)'" }.joined(separator: ", "))")
    }

    private struct Stop: Error {}

    /// The rows of a worksheet part given as bytes, fed to the parser `chunk` bytes at a time (for
    /// tests and fuzzing: the same path a sheet inside a workbook takes).
    public static func rows(ofSheetXML bytes: some Collection<UInt8>, chunk: Int = 1 << 16, shared: [String] = [],
                            dateStyles: [Bool] = [], date1904: Bool = false) throws -> [TableRow] {
        var parser = SheetParser(shared: shared, dateStyles: dateStyles, date1904: date1904)
        var scanner = XMLPushScanner()
        var rows: [TableRow] = []
        let all = Array(bytes)
        var i = 0
        repeat {
            let j = min(all.count, i + max(1, chunk))
            try scanner.feed(all[i..<j], isFinal: j == all.count) { e in if let r = try parser.take(e) { rows.append(r) } }
            i = j
        } while i < all.count
        return rows
    }

    /// Calls `body` with each non-empty row of a sheet in order; `body` returns false to stop.
    /// `progress` gets the sheet's bytes inflated so far and its inflated size.
    public func rows(sheet: Int, progress: ((Int64, Int64) -> Void)? = nil, _ body: (TableRow) throws -> Bool) throws {
        let name = sheets[sheet].part
        guard let entry = archive[name] else { throw IngestError.unreadable(path: path, reason: "sheet '\(sheets[sheet].name)': no part \(name)") }
        var parser = SheetParser(shared: shared, dateStyles: dateStyles, date1904: date1904)
        var scanner = XMLPushScanner()
        var done: Int64 = 0
        let total = Int64(entry.uncompressedSize)
        func emit(_ e: XMLPushScanner.Event) throws {
            if let row = try parser.take(e), try !body(row) { throw Stop() }
        }
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 16) { data in
                try scanner.feed(data, emit)
                done += Int64(data.count)
                progress?(min(done, total), total)
            }
            try scanner.feed([], isFinal: true, emit)
        } catch is Stop {
            return
        } catch let e as IngestError {
            throw e
        } catch {
            throw IngestError.unreadable(path: path, reason: "sheet '\(sheets[sheet].name)': \(error)")
        }
    }
}

/// Turns the events of a worksheet part into rows of cells.
struct SheetParser {
    let shared: [String]
    let dateStyles: [Bool]
    let date1904: Bool
    private var cells: [Cell] = []
    private var rowNumber = 0
    private var column = 0
    private var type = ""
    private var style = 0
    private var value = ""
    private var capture = false
    private var inCell = false

    init(shared: [String], dateStyles: [Bool], date1904: Bool) {
        self.shared = shared
        self.dateStyles = dateStyles
        self.date1904 = date1904
    }

    struct BadCell: Error, CustomStringConvertible {
        var description: String
    }

    mutating func take(_ e: XMLPushScanner.Event) throws -> TableRow? {
        switch e {
        case .start(let n, let attrs, let selfClosing):
            switch n {
            case "row":
                cells.removeAll(keepingCapacity: true)
                column = 0
                rowNumber = attrs.first(where: { $0.name == "r" }).flatMap { Int($0.value) } ?? rowNumber + 1
                if selfClosing { return nil }
            case "c":
                type = "n"
                style = 0
                value = ""
                for a in attrs {
                    switch a.name {
                    case "t": type = a.value
                    case "s": style = max(0, Int(a.value) ?? 0)
                    case "r":
                        guard let c = Self.column(of: a.value) else {
                            throw BadCell(description: "cell reference '\(a.value.prefix(20))' (row \(rowNumber)) is beyond column XFD, the last a sheet can have")
                        }
                        column = c
                    default: break
                    }
                }
                inCell = !selfClosing
                if selfClosing { column += 1 }
            case "v", "t":
                if inCell { capture = !selfClosing }
            default:
                break
            }
        case .text(let s):
            if capture { value += s }
        case .end(let n):
            switch n {
            case "v", "t":
                capture = false
            case "c":
                inCell = false
                guard column < XLSXWorkbook.maxColumns else {
                    throw BadCell(description: "row \(rowNumber) has a cell beyond column XFD, the last a sheet can have")
                }
                let cell = makeCell()
                if case .empty = cell {} else {
                    if cells.count <= column { cells.append(contentsOf: repeatElement(Cell.empty, count: column + 1 - cells.count)) }
                    cells[column] = cell
                }
                column += 1
            case "row":
                return cells.isEmpty ? nil : TableRow(cells: cells, line: rowNumber)
            default:
                break
            }
        }
        return nil
    }

    private func makeCell() -> Cell {
        switch type {
        case "s":
            guard let k = Int(value), k >= 0, k < shared.count else { return value.isEmpty ? .empty : .text("#REF!") }
            return shared[k].isEmpty ? .empty : .text(shared[k])
        case "inlineStr", "str":
            return value.isEmpty ? .empty : .text(value)
        case "b":
            return value.isEmpty ? .empty : .bool(value == "1" || value == "true")
        case "e", "d":
            return value.isEmpty ? .empty : .text(value)
        default:
            guard !value.isEmpty else { return .empty }
            guard let d = Double(value.trimmingCharacters(in: .whitespaces)) else { return .text(value) }
            if style >= 0, style < dateStyles.count, dateStyles[style] { return .date(date1904 ? d + 1462 : d) }
            return .number(d)
        }
    }

    /// `AB12` -> 27 (0-based column); nil past XFD or for a reference that is not one.
    static func column(of ref: String) -> Int? {
        var c = 0
        var letters = 0
        for u in ref.utf8 {
            if u >= 0x41 && u <= 0x5A { c = c * 26 + Int(u - 0x40); letters += 1 }
            else if u >= 0x61 && u <= 0x7A { c = c * 26 + Int(u - 0x60); letters += 1 }
            else { break }
            if letters > 3 { return nil }
        }
        guard letters > 0, c <= XLSXWorkbook.maxColumns else { return nil }
        return c - 1
    }
}
