import Foundation
import MeterCore
@testable import MeterIngest
import TestSupport
import Testing

/// Workbooks written by openpyxl and by LibreOffice, not by this project, read through the same
/// detection as every other file; and damaged ones refused with one clear error.
@Suite(.enabled(if: OfficeTools.available, "python3 with openpyxl or LibreOffice is missing: workbook tests skipped"))
struct XLSXReaderTests {
    let dir = TemporaryDirectory()

    func workbooks() throws -> String {
        let script = SharedData.projectRoot.appendingPathComponent("Tests/Scripts/make_workbooks.py").path
        let r = try BuiltProducts.run("/usr/bin/env", ["python3", script, dir.url.path])
        try #require(r.status == 0, "make_workbooks.py: \(r.err)")
        return dir.url.path
    }

    @Test func openpyxlWorkbookWithATitleRowSharedStringsDatesAndBooleans() throws {
        let folder = try workbooks()
        let r = try FileReading().read(path: folder + "/openpyxl.xlsx")
        // The notes sheet has no readings; the readings sheet is found, its header on row 3.
        #expect(r.layout.contains("sheet 'Readings'") && r.layout.contains("1900 date system"))
        #expect(r.batch.count == 48)
        #expect(Set(r.batch.meters.map(\.rawValue)) == ["M-A", "M-B"])
        #expect(r.batch.start[0] == 1_709_251_200) // 2024-03-01 00:00 UTC
        #expect(r.batch.start[2] == 1_709_251_200 + 1800)
        #expect(r.batch.kwh[3] == 0.3)
        #expect(r.batch.status[7] == .empty)
        #expect(r.batch.quality(at: 0) == .estimated && r.batch.quality(at: 1) == .actual)
        #expect(r.batch.line(at: 0) == 4)
        // Asked for the other sheet by name, it says what it looked for.
        var o = ReadOptions()
        o.sheet = "Notes"
        #expect(throws: IngestError.self) { try FileReading(options: o).read(path: folder + "/openpyxl.xlsx") }
    }

    @Test func the1904DateSystem() throws {
        let r = try FileReading().read(path: try workbooks() + "/openpyxl1904.xlsx")
        #expect(r.layout.contains("1904 date system"))
        #expect(r.batch.count == 4 && r.batch.start[0] == 1_709_251_200)
    }

    @Test func libreOfficeWorkbook() throws {
        let csv = try dir.write("lo.csv", "meter_id,start,kwh,quality\nLO1,2024-03-01 00:00,0.5,actual\nLO1,2024-03-01 00:30,,actual\nLO1,2024-03-01 01:00,1.75,estimated\n")
        let r = try OfficeTools.convert(csv, to: "xlsx", outdir: dir.url.path)
        try #require(r.status == 0, "soffice: \(r.err)")
        let book = try FileReading().read(path: dir.path("lo.xlsx"))
        #expect(book.batch.count == 3)
        #expect(book.batch.start[2] == 1_709_251_200 + 3600)
        #expect(book.batch.kwh[0] == 0.5 && book.batch.status[1] == .empty && book.batch.quality(at: 2) == .estimated)
    }

    @Test func aSheetTenThousandColumnsWideGivesOneClearError() throws {
        #expect {
            try FileReading().read(path: try workbooks() + "/wide10000.xlsx")
        } throws: { "\($0)".contains("cannot tell the layout") }
    }

    @Test func aTruncatedWorkbookGivesOneClearError() throws {
        let folder = try workbooks()
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/openpyxl.xlsx"))
        for cut in [10, data.count / 2, data.count - 30] {
            let path = dir.path("cut\(cut).xlsx")
            try data.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect {
                try FileReading().read(path: path)
            } throws: { "\($0)".contains("cut\(cut).xlsx") && "\($0)".contains("damaged or truncated") }
        }
    }

    @Test func aNegativeStyleIndexIsNotADateAndNotACrash() throws {
        // Found by the fuzzer: a style index of -1 read outside the styles table.
        let xml = #"<worksheet><sheetData><row r="1"><c r="A1" s="-1"><v>45000.5</v></c><c r="B1" s="1"><v>45000.5</v></c></row></sheetData></worksheet>"#
        let rows = try XLSXWorkbook.rows(ofSheetXML: Array(xml.utf8), chunk: 5, dateStyles: [false, true])
        #expect(rows.first?.cells == [.number(45000.5), .date(45000.5)])
    }

    @Test func aCellPastTheLastColumnIsAnError() throws {
        var p = SheetParser(shared: [], dateStyles: [], date1904: false)
        #expect(throws: (any Error).self) {
            _ = try p.take(.start(name: "c", attributes: [(name: "r", value: "XFE1")], selfClosing: false))
        }
        #expect(SheetParser.column(of: "XFD7") == 16_383 && SheetParser.column(of: "AB12") == 27)
    }
}
