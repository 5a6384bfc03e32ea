import Foundation
import MeterCore
import ZIPFoundation

/// One value of a written sheet.
public enum XLSXValue: Sendable, Hashable {
    case empty
    case text(String)
    case number(Double)
    case integer(Int)
    /// A wall-clock time (local fields as epoch seconds), shown as `yyyy-mm-dd hh:mm`.
    case dateTime(Int64)
    /// A day (local midnight as epoch seconds), shown as `yyyy-mm-dd`.
    case date(Int64)
}

/// Writes an .xlsx workbook that Excel, LibreOffice and openpyxl open: sheets are streamed row
/// by row to temporary files (so a large export does not sit in memory), then packed with the
/// workbook's other parts into one deflated ZIP. Strings are written inline; times are real
/// date cells.
public final class XLSXWriter {
    private let path: String
    private let folder: URL
    private var sheets: [(name: String, file: URL)] = []
    private var current: FileHandle?
    private var buffer = ""
    private var rowNumber = 0

    public init(path: String) throws {
        self.path = path
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nutcracker-xlsx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Starts a sheet with a bold header row; the previous sheet is closed.
    public func beginSheet(name: String, header: [String]) throws {
        try endSheet()
        let file = folder.appendingPathComponent("sheet\(sheets.count + 1).xml")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: file.path) else { throw CocoaError(.fileWriteUnknown) }
        current = h
        // Sheet names: at most 31 characters, none of []:*?/\ .
        let clean = String(name.map { "[]:*?/\\".contains($0) ? "_" : $0 }.prefix(31))
        sheets.append((clean.isEmpty ? "Sheet\(sheets.count + 1)" : clean, file))
        rowNumber = 0
        buffer = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
            + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
            + "<cols>" + header.indices.map { #"<col min="\#($0 + 1)" max="\#($0 + 1)" width="\#(max(12, header[$0].count + 4))" customWidth="1"/>"# }.joined() + "</cols><sheetData>"
        try append(header.map { .text($0) }, style: 2)
    }

    /// Appends one row to the current sheet.
    public func append(_ row: [XLSXValue], style: Int? = nil) throws {
        rowNumber += 1
        buffer += "<row r=\"\(rowNumber)\">"
        for (i, v) in row.enumerated() {
            let ref = Self.columnName(i) + String(rowNumber)
            switch v {
            case .empty: continue
            case .text(let s):
                buffer += "<c r=\"\(ref)\" t=\"inlineStr\"\(style.map { " s=\"\($0)\"" } ?? "")><is><t xml:space=\"preserve\">\(Self.escape(s))</t></is></c>"
            case .number(let d):
                guard d.isFinite else { continue }
                buffer += "<c r=\"\(ref)\"><v>\(d)</v></c>"
            case .integer(let n):
                buffer += "<c r=\"\(ref)\"><v>\(n)</v></c>"
            case .dateTime(let s):
                buffer += "<c r=\"\(ref)\" s=\"1\"><v>\(Self.serial(s))</v></c>"
            case .date(let s):
                buffer += "<c r=\"\(ref)\" s=\"3\"><v>\(Self.serial(s))</v></c>"
            }
        }
        buffer += "</row>"
        if buffer.utf8.count > 1 << 20 { try flush() }
    }

    private func flush() throws {
        try current?.write(contentsOf: Data(buffer.utf8))
        buffer = ""
    }

    private func endSheet() throws {
        guard let h = current else { return }
        buffer += "</sheetData></worksheet>"
        try flush()
        try h.close()
        current = nil
    }

    /// Writes the workbook file.
    public func finish() throws {
        try endSheet()
        if sheets.isEmpty { try beginSheet(name: "Sheet1", header: []); try endSheet() }
        let out = URL(fileURLWithPath: path)
        try? FileManager.default.removeItem(at: out)
        let archive = try Archive(url: out, accessMode: .create)
        func add(_ name: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        let ns = "http://schemas.openxmlformats.org"
        try add("[Content_Types].xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="\#(ns)/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
            + sheets.indices.map { #"<Override PartName="/xl/worksheets/sheet\#($0 + 1).xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"# }.joined()
            + "</Types>")
        try add("_rels/.rels", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="\#(ns)/package/2006/relationships"><Relationship Id="rId1" Type="\#(ns)/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)
        try add("xl/workbook.xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="\#(ns)/spreadsheetml/2006/main" xmlns:r="\#(ns)/officeDocument/2006/relationships"><sheets>"#
            + sheets.enumerated().map { #"<sheet name="\#(Self.escape($1.name))" sheetId="\#($0 + 1)" r:id="rId\#($0 + 1)"/>"# }.joined()
            + "</sheets></workbook>")
        try add("xl/_rels/workbook.xml.rels", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="\#(ns)/package/2006/relationships">"#
            + sheets.indices.map { #"<Relationship Id="rId\#($0 + 1)" Type="\#(ns)/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet\#($0 + 1).xml"/>"# }.joined()
            + #"<Relationship Id="rId\#(sheets.count + 1)" Type="\#(ns)/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#)
        try add("xl/styles.xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="\#(ns)/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd hh:mm"/><numFmt numFmtId="165" formatCode="yyyy\-mm\-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#)
        for (i, sheet) in sheets.enumerated() {
            try archive.addEntry(with: "xl/worksheets/sheet\(i + 1).xml", fileURL: sheet.file, compressionMethod: .deflate)
        }
    }

    /// Days since 1899-12-30 with the time of day as a fraction.
    static func serial(_ seconds: Int64) -> Double {
        Double(seconds + 25_569 * 86_400) / 86_400
    }

    /// 0 -> A, 25 -> Z, 26 -> AA.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(UInt8(65 + r))) + s
            n = (n - 1) / 26
        }
        return s
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // Control characters are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
